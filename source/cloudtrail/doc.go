// Package cloudtrail is the AWS CloudTrail event source (aws_cloudtrail):
// the records CloudTrail writes to S3, one JSON object per API call,
// console sign-in or service event, gathered in log files of the form
// {"Records":[...]}, usually gzipped.
//
// It stands in for Falco's cloudtrail plugin: the same source name, the
// same ct.*, s3.*, ec2.*, ecr.* and iam.* fields with their types and
// arguments, the JSON plugin's json.* and jevt.* fields and the generic
// evt.* ones, so that the upstream aws_cloudtrail_rules.yaml loads
// unmodified. The record's eventTime is the event time.
//
// [Splitter] turns a log file's content into records and [Detect] tells
// whether content looks like CloudTrail. [FileReader] reads log files,
// gzipped or not, and directory trees of them. [Run] reads one input in
// the forms of the plugin's open parameters: a path, s3://bucket/prefix
// (every log file once) or sqs://queue (the log files that S3 or
// CloudTrail notifications announce, read by [ParseNotification], for as
// long as it runs), and queues the records on a jsonsrc.Queue. [Decoder]
// makes one record current in a field.Context, parsed once, for the
// engine.
//
// Goroutines: Run blocks on the caller's goroutine; reading from S3 it
// starts up to [Config.S3DownloadConcurrency] download goroutines of its
// own, all ended before it returns. Records are queued in the order of
// the files and objects they come from (path and key order, which for
// CloudTrail's layout is time order within a region). A Decoder and a
// Splitter belong to one goroutine.
package cloudtrail
