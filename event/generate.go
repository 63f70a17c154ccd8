package event

//go:generate go run ./internal/gen -in internal/gen/scap_tables.json -out tables_gen.go
