package cloudtrail

import (
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/internal/srctest"
	"github.com/kestrel-sec/kestrel/rules"
)

// richRecord is a RunInstances call by an assumed role touching most
// record fields.
func richRecord(t *testing.T) []byte {
	r := runInstances("eu-west-1")
	for k, v := range map[string]any{
		"userIdentity":                 assumedRole("Deployer", "ci-run-42"),
		"apiVersion":                   "2016-11-15",
		"sharedEventID":                "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
		"vpcEndpointId":                "vpce-0a1b2c3d4e5f67890",
		"sessionCredentialFromConsole": "true",
		"serviceEventDetails":          map[string]any{"snapshotId": "snap-1"},
		"edgeDeviceDetails":            map[string]any{"deviceType": "snowball"},
		"addendum": map[string]any{"reason": "DELIVERY_DELAY", "updatedFields": "responseElements",
			"originalRequestID": "orig-req", "originalEventID": "orig-evt"},
	} {
		r[k] = v
	}
	return srctest.JSON(t, r)
}

func newCtx() *field.Context {
	c := field.NewContext(nil)
	c.Location = time.UTC
	return c
}

func decode(t *testing.T, data []byte) *field.Context {
	t.Helper()
	var dec Decoder
	c := newCtx()
	if err := dec.Decode(c, data, 1714557600000000000); err != nil {
		t.Fatal(err)
	}
	return c
}

func checkFields(t *testing.T, what string, data []byte, want map[string]string) {
	t.Helper()
	reg := Registry()
	c := decode(t, data)
	for expr, w := range want {
		if got := srctest.Extract(t, reg, c, expr); got != w {
			t.Errorf("%s: %s = %q, want %q", what, expr, got, w)
		}
	}
}

func TestFieldsRunInstances(t *testing.T) {
	checkFields(t, "RunInstances", richRecord(t), map[string]string{
		"ct.id":                                  "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
		"ct.error":                               "<NA>",
		"ct.errormessage":                        "<NA>",
		"ct.time":                                "2024-05-01T10:00:00Z",
		"ct.src":                                 "ec2.amazonaws.com",
		"ct.shortsrc":                            "ec2",
		"ct.name":                                "RunInstances",
		"ct.user":                                "Deployer",
		"ct.originaluser":                        "ci-run-42",
		"ct.user.accountid":                      "123456789012",
		"ct.user.identitytype":                   "AssumedRole",
		"ct.user.principalid":                    "AROAIDPPEZS35WEXAMPLE:ci-run-42",
		"ct.user.arn":                            "arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-42",
		"ct.region":                              "eu-west-1",
		"ct.response.subnetid":                   "subnet-0a1b2c3d",
		"ct.response.reservationid":              "r-0123456789abcdef0",
		"ct.request.availabilityzone":            "eu-west-1a",
		"ct.request.subnetid":                    "subnet-0a1b2c3d",
		"ct.request.cluster":                     "<NA>",
		"ct.srcip":                               "198.51.100.7",
		"ct.useragent":                           "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8",
		"ct.info":                                "Deployer via 198.51.100.7 → RunInstances",
		"ct.managementevent":                     "true",
		"ct.readonly":                            "false",
		"ct.requestid":                           "6f0e7a2b-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
		"ct.eventtype":                           "AwsApiCall",
		"ct.apiversion":                          "2016-11-15",
		"ct.resources":                           "<NA>",
		"ct.recipientaccountid":                  "123456789012",
		"ct.serviceeventdetails":                 `{"snapshotId":"snap-1"}`,
		"ct.sharedeventid":                       "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
		"ct.vpcendpointid":                       "vpce-0a1b2c3d4e5f67890",
		"ct.eventcategory":                       "Management",
		"ct.addendum.reason":                     "DELIVERY_DELAY",
		"ct.addendum.updatedfields":              "responseElements",
		"ct.addendum.originalrequestid":          "orig-req",
		"ct.addendum.originaleventid":            "orig-evt",
		"ct.sessioncredentialfromconsole":        "false", // a string, not the literal true
		"ct.edgedevicedetails":                   `{"deviceType":"snowball"}`,
		"ct.tlsdetails.tlsversion":               "TLSv1.3",
		"ct.tlsdetails.ciphersuite":              "TLS_AES_128_GCM_SHA256",
		"ct.tlsdetails.clientprovidedhostheader": "ec2.amazonaws.com",
		"ct.additionaleventdata":                 "<NA>",
		"s3.uri":                                 "<NA>",
		"s3.bucket":                              "<NA>",
		"s3.bytes":                               "<NA>",
		"s3.cnt.get":                             "<NA>",
		"s3.cnt.put":                             "<NA>",
		"s3.cnt.other":                           "1",
		"ec2.name":                               "web-1",
		"ec2.imageid":                            "ami-0abcdef1234567890",
		"ec2.imageids":                           "(ami-0abcdef1234567890,ami-0fedcba9876543210)",
		"ec2.imageids[1]":                        "(ami-0fedcba9876543210)",
		"ec2.imageids[2]":                        "<NA>",
		"ecr.repository":                         "<NA>",
		"iam.role":                               "<NA>",
		"evt.source":                             "aws_cloudtrail",
		"evt.pluginname":                         "cloudtrail",
		"evt.plugininfo":                         "eu-west-1 Deployer ec2 RunInstances Deployer via 198.51.100.7 → RunInstances",
		"evt.time.iso8601":                       "2024-05-01T10:00:00.000000000+0000",
		"json.value[/responseElements/instancesSet/items/0/instanceId]": "i-0123456789abcdef0",
	})
}

func TestFieldsGetObject(t *testing.T) {
	rec := []byte(`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","userName":"Alice"},
		"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",
		"userAgent":"[aws-cli/2.15.30]","requestParameters":{"bucketName":"logs-bucket","Host":"logs-bucket.s3.us-east-1.amazonaws.com","key":"reports/2024/q1 \u00e9.csv"},
		"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","bytesTransferredIn":0,"bytesTransferredOut":33.0},
		"requestID":"R1","eventID":"E1","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::logs-bucket/reports/2024/q1.csv"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::logs-bucket"}],
		"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"}`)
	checkFields(t, "GetObject", rec, map[string]string{
		"s3.uri":                 "s3://logs-bucket/reports/2024/q1 é.csv",
		"s3.bucket":              "logs-bucket",
		"s3.key":                 "reports/2024/q1 é.csv",
		"s3.bytes":               "33",
		"s3.bytes.in":            "0",
		"s3.bytes.out":           "33",
		"s3.cnt.get":             "1",
		"s3.cnt.put":             "<NA>",
		"s3.cnt.other":           "<NA>",
		"ct.readonly":            "true",
		"ct.managementevent":     "false",
		"ct.user":                "Alice",
		"ct.originaluser":        "Alice",
		"ct.response":            "null",
		"ct.response.subnetid":   "<NA>",
		"ct.request":             `{"bucketName":"logs-bucket","Host":"logs-bucket.s3.us-east-1.amazonaws.com","key":"reports/2024/q1 \u00e9.csv"}`,
		"ct.request.host":        "logs-bucket.s3.us-east-1.amazonaws.com",
		"ct.additionaleventdata": `{"SignatureVersion":"SigV4","bytesTransferredIn":0,"bytesTransferredOut":33.0}`,
		"ct.resources":           `{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::logs-bucket/reports/2024/q1.csv"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::logs-bucket"}`,
		"ct.info":                "Alice via 198.51.100.7 ← GetObject Size=33 URI=s3://logs-bucket/reports/2024/q1 é.csv",
		"ec2.imageids":           "<NA>",
	})
}

func TestFieldsIdentities(t *testing.T) {
	service := ctRecord("sts.amazonaws.com", "AssumeRole", map[string]any{
		"userIdentity": awsService("ec2.amazonaws.com"), "sourceIPAddress": "ec2.amazonaws.com", "readOnly": true})
	checkFields(t, "AWSService", srctest.JSON(t, service), map[string]string{
		"ct.user":           "ec2.amazonaws.com",
		"ct.originaluser":   "<NA>",
		"ct.user.accountid": "123456789012", // from recipientAccountId
		"ct.info":           "ec2.amazonaws.com ← AssumeRole",
	})
	root := consoleLogin(rootUser(), "Success", "No")
	checkFields(t, "Root", srctest.JSON(t, root), map[string]string{
		"ct.user":                "<NA>", // root sign-ins carry no userName
		"ct.user.identitytype":   "Root",
		"ct.readonly":            "<NA>",
		"ct.info":                "<invalid cloudtrail event: userIdentity field missing>",
		"evt.plugininfo":         "us-east-1 signin ConsoleLogin <invalid cloudtrail event: userIdentity field missing>",
		"ct.additionaleventdata": `{"LoginTo":"https://console.aws.amazon.com/console/home","MFAUsed":"No","MobileVersion":"No"}`,
	})
	failed := consoleLogin(iamUser("Bob"), "Failure", "No")
	failed["errorCode"] = "Failed authentication"
	checkFields(t, "failed login", srctest.JSON(t, failed), map[string]string{
		"ct.error":        "Failed authentication",
		"ct.errormessage": "Failed authentication",
		"ct.info":         "Bob via 198.51.100.7 !← ConsoleLogin",
	})
	federated := ctRecord("sts.amazonaws.com", "GetCallerIdentity", map[string]any{
		"userIdentity": map[string]any{"type": "FederatedUser", "principalId": "123456789012:bob", "arn": "arn:aws:sts::123456789012:federated-user/bob"}})
	checkFields(t, "FederatedUser", srctest.JSON(t, federated), map[string]string{"ct.user": "FederatedUser", "ct.originaluser": "<NA>"})
	noSession := assumedRole("Deployer", "x")
	delete(noSession, "sessionContext")
	noSession["arn"] = "arn:aws:sts::123456789012:assumed-role/Deployer"
	checkFields(t, "AssumedRole without issuer", srctest.JSON(t, ctRecord("sts.amazonaws.com", "GetCallerIdentity", map[string]any{"userIdentity": noSession})),
		map[string]string{"ct.user": "AssumedRole", "ct.originaluser": "x"})
	odd := ctRecord("kms.amazonaws.com", "Decrypt", map[string]any{"userIdentity": map[string]any{"type": "SAMLUser"}})
	checkFields(t, "unknown identity", srctest.JSON(t, odd), map[string]string{"ct.user": "<NA>", "ct.shortsrc": "kms"})
}

func TestFieldsDetails(t *testing.T) {
	checkFields(t, "PutBucketPublicAccessBlock", srctest.JSON(t, publicAccessBlock(false)), map[string]string{
		"ct.info": "Alice via 198.51.100.7 → PutBucketPublicAccessBlock BlockPublicAcls=false BlockPublicPolicy=false IgnorePublicAcls=false RestrictPublicBuckets=false ",
		"s3.uri":  "<NA>",
	})
	spot := ctRecord("ec2.amazonaws.com", "RequestSpotInstances", map[string]any{
		"requestParameters": map[string]any{"launchSpecification": map[string]any{"imageId": "ami-0spot"}}})
	checkFields(t, "RequestSpotInstances", srctest.JSON(t, spot), map[string]string{
		"ec2.imageid": "ami-0spot", "ec2.imageids": "(ami-0spot)", "ec2.imageids[0]": "(ami-0spot)", "ec2.imageids[1]": "<NA>",
	})
	fast := ctRecord("ec2.amazonaws.com", "DescribeFastLaunchImages", map[string]any{
		"requestParameters": map[string]any{"DescribeFastLaunchImagesRequest": map[string]any{"ImageId": map[string]any{"tag": 1, "content": "ami-0fast"}}}})
	checkFields(t, "DescribeFastLaunchImages", srctest.JSON(t, fast), map[string]string{"ec2.imageid": "ami-0fast"})
	ecr := ctRecord("ecr.amazonaws.com", "PutImage", map[string]any{
		"requestParameters": map[string]any{"repositoryName": "web", "imageTag": "v1.2", "roleName": "r", "policyName": "p", "documentName": "AWS-RunShellScript"},
		"resources":         []any{}})
	checkFields(t, "PutImage", srctest.JSON(t, ecr), map[string]string{
		"ecr.repository": "web", "ecr.imagetag": "v1.2", "iam.role": "r", "iam.policy": "p",
		"ct.request.documentname": "AWS-RunShellScript", "ct.resources": "<NA>", "s3.cnt.other": "1",
		"ct.info": "Alice via 198.51.100.7 → PutImage",
	})
	put := ctRecord("s3.amazonaws.com", "PutObject", map[string]any{
		"requestParameters":   map[string]any{"bucketName": "b"},
		"additionalEventData": map[string]any{"bytesTransferredIn": 1048576}})
	checkFields(t, "PutObject", srctest.JSON(t, put), map[string]string{
		"s3.cnt.put": "1", "s3.cnt.get": "<NA>", "s3.bytes": "1048576", "s3.bytes.out": "<NA>", "s3.uri": "<NA>",
		"ct.info": "Alice via 198.51.100.7 → PutObject Size=1048576 Bucket=b",
	})
}

// TestFilters checks comparisons on the fields: numbers compare as
// numbers, lists as lists.
func TestFilters(t *testing.T) {
	reg := Registry()
	c := decode(t, richRecord(t))
	srctest.Matches(t, reg, c, map[string]bool{
		"ec2.imageids intersects (ami-0fedcba9876543210)":                    true,
		"ec2.imageids in (ami-0abcdef1234567890, ami-0fedcba9876543210)":     true,
		"ec2.imageids in (ami-0abcdef1234567890)":                            false,
		"ec2.imageids[0] in (ami-0abcdef1234567890)":                         true,
		"s3.cnt.other = 1 and s3.cnt.other > 0":                              true,
		"s3.bytes exists":                                                    false,
		"ct.shortsrc = ec2 and ct.user.identitytype = AssumedRole":           true,
		"evt.source = aws_cloudtrail and evt.pluginname = cloudtrail":        true,
		"ct.region in (us-east-0)":                                           false,
		"json.value[/userIdentity/sessionContext/sessionIssuer/type] = Role": true,
	})
	c = decode(t, srctest.JSON(t, getObject()))
	srctest.Matches(t, reg, c, map[string]bool{
		"s3.bytes > 32":      true,
		"s3.bytes > 100":     false,
		"s3.bytes.out >= 33": true,
		"s3.cnt.get = 1":     true,
	})
	if _, err := filter.Compile("ec2.imageids[x] exists", filter.Options{Fields: reg}); err == nil {
		t.Error("a non-numeric index compiled")
	}
	if _, err := filter.Compile("s3.bytes > abc", filter.Options{Fields: reg}); err == nil {
		t.Error("a numeric field compared with text compiled")
	}
}

// TestPluginRequirement checks required_plugin_versions against the
// declared plugins.
func TestPluginRequirement(t *testing.T) {
	for _, c := range []struct {
		yaml string
		errs int
	}{
		{"- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.10.0\n  - name: json\n    version: 0.7.0\n", 0},
		{"- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.17.1\n", 0},
		{"- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.99.0\n", 1},
	} {
		spec, ds := rules.LoadBytes("t.yaml", []byte(c.yaml))
		_, cds := engine.Compile(spec, engine.Options{Sources: []engine.SourceDef{Def()}, MinPriority: rules.PriorityDebug})
		ds = append(ds, cds...)
		if len(ds.Errors()) != c.errs {
			t.Errorf("%q: %v", c.yaml, ds)
		}
	}
}

// TestFieldTable checks that every field of the plugin's table is here,
// with its type.
func TestFieldTable(t *testing.T) {
	reg := Registry()
	numeric := map[string]bool{"s3.bytes": true, "s3.bytes.in": true, "s3.bytes.out": true, "s3.cnt.get": true, "s3.cnt.put": true, "s3.cnt.other": true}
	names := []string{"ct.id", "ct.error", "ct.errormessage", "ct.time", "ct.src", "ct.shortsrc", "ct.name", "ct.user", "ct.originaluser",
		"ct.user.accountid", "ct.user.identitytype", "ct.user.principalid", "ct.user.arn", "ct.region", "ct.response.subnetid",
		"ct.response.reservationid", "ct.response", "ct.request.availabilityzone", "ct.request.cluster", "ct.request.functionname",
		"ct.request.groupname", "ct.request.host", "ct.request.name", "ct.request.policy", "ct.request.reason", "ct.request.target",
		"ct.request.documentname", "ct.request.serialnumber", "ct.request.servicename", "ct.request.subnetid", "ct.request.taskdefinition",
		"ct.request.username", "ct.request", "ct.srcip", "ct.useragent", "ct.info", "ct.managementevent", "ct.readonly", "ct.requestid",
		"ct.eventtype", "ct.apiversion", "ct.resources", "ct.recipientaccountid", "ct.serviceeventdetails", "ct.sharedeventid",
		"ct.vpcendpointid", "ct.eventcategory", "ct.addendum.reason", "ct.addendum.updatedfields", "ct.addendum.originalrequestid",
		"ct.addendum.originaleventid", "ct.sessioncredentialfromconsole", "ct.edgedevicedetails", "ct.tlsdetails.tlsversion",
		"ct.tlsdetails.ciphersuite", "ct.tlsdetails.clientprovidedhostheader", "ct.additionaleventdata", "s3.uri", "s3.bucket", "s3.key",
		"s3.bytes", "s3.bytes.in", "s3.bytes.out", "s3.cnt.get", "s3.cnt.put", "s3.cnt.other", "ec2.name", "ec2.imageid", "ec2.imageids",
		"ecr.repository", "ecr.imagetag", "iam.role", "iam.policy"}
	if got := len(Fields()); got != len(names) {
		t.Errorf("%d fields, the plugin has %d", got, len(names))
	}
	for _, n := range names {
		d, ok := reg.Lookup(n)
		if !ok {
			t.Errorf("%s missing", n)
			continue
		}
		if isNum := d.Num != nil; isNum != numeric[n] {
			t.Errorf("%s: numeric %v", n, isNum)
		}
	}
}

// TestNoAllocs checks that decoding a record and reading its fields
// allocates nothing once the buffers have grown.
func TestNoAllocs(t *testing.T) {
	reg := Registry()
	data := richRecord(t)
	var fmts []*field.Format
	for _, expr := range []string{"ct.info", "ct.user", "ct.originaluser", "ec2.imageids", "ec2.name", "ct.request", "s3.bytes", "evt.plugininfo", "ct.resources"} {
		f, err := reg.CompileFormat("*%" + expr)
		if err != nil {
			t.Fatal(err)
		}
		fmts = append(fmts, f)
	}
	var dec Decoder
	c := newCtx()
	buf := make([]byte, 0, 4096)
	run := func() {
		if err := dec.Decode(c, data, 1); err != nil {
			t.Fatal(err)
		}
		for _, f := range fmts {
			buf, _ = f.AppendText(buf[:0], c)
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}
