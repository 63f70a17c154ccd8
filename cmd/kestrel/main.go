package main

import (
	_ "github.com/spf13/cobra"
	_ "golang.org/x/term"
)

func main() {}
