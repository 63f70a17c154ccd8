package cloudtrail

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/engine"
	"github.com/kestrel-sec/kestrel/internal/srctest"
)

// Identities as CloudTrail's userIdentity element describes them.
func iamUser(name string) map[string]any {
	return map[string]any{
		"type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE",
		"arn": "arn:aws:iam::123456789012:user/" + name, "accountId": "123456789012",
		"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": name,
	}
}

func rootUser() map[string]any {
	return map[string]any{
		"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root",
		"accountId": "123456789012", "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
	}
}

func assumedRole(role, session string) map[string]any {
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROAIDPPEZS35WEXAMPLE:" + session,
		"arn":       "arn:aws:sts::123456789012:assumed-role/" + role + "/" + session,
		"accountId": "123456789012", "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
		"sessionContext": map[string]any{
			"sessionIssuer": map[string]any{
				"type": "Role", "principalId": "AROAIDPPEZS35WEXAMPLE",
				"arn":       "arn:aws:iam::123456789012:role/" + role,
				"accountId": "123456789012", "userName": role,
			},
			"attributes": map[string]any{"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

func awsService(svc string) map[string]any {
	return map[string]any{"type": "AWSService", "invokedBy": svc}
}

// ctRecord builds a CloudTrail record as the CloudTrail record contents
// reference describes it: an API call of name on source by an IAM user;
// mods change or add fields by dotted path ("userIdentity.type"); a nil
// value removes the field.
func ctRecord(source, name string, mods map[string]any) map[string]any {
	r := map[string]any{
		"eventVersion":       "1.09",
		"userIdentity":       iamUser("Alice"),
		"eventTime":          "2024-05-01T10:00:00Z",
		"eventSource":        source,
		"eventName":          name,
		"awsRegion":          "us-east-1",
		"sourceIPAddress":    "198.51.100.7",
		"userAgent":          "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8",
		"requestParameters":  map[string]any{},
		"responseElements":   nil,
		"requestID":          "6f0e7a2b-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
		"eventID":            "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
		"readOnly":           false,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": "123456789012",
		"eventCategory":      "Management",
		"tlsDetails": map[string]any{
			"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
			"clientProvidedHostHeader": strings.TrimSuffix(source, ".amazonaws.com") + ".amazonaws.com",
		},
	}
	for path, v := range mods {
		srctest.SetPath(r, path, v)
	}
	return r
}

// consoleLogin is a console sign-in; result is Success or Failure.
func consoleLogin(identity map[string]any, result, mfa string) map[string]any {
	mods := map[string]any{
		"userIdentity":        identity,
		"eventType":           "AwsConsoleSignIn",
		"readOnly":            nil,
		"requestParameters":   nil,
		"responseElements":    map[string]any{"ConsoleLogin": result},
		"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfa},
		"userAgent":           "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
		"eventCategory":       "Management",
		"tlsDetails":          nil,
	}
	if result == "Failure" {
		mods["errorMessage"] = "Failed authentication"
	}
	return ctRecord("signin.amazonaws.com", "ConsoleLogin", mods)
}

// runInstances is an EC2 RunInstances call and its response.
func runInstances(region string) map[string]any {
	return ctRecord("ec2.amazonaws.com", "RunInstances", map[string]any{
		"awsRegion": region,
		"requestParameters": map[string]any{
			"instancesSet":     map[string]any{"items": []any{map[string]any{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}}},
			"instanceType":     "t3.micro",
			"availabilityZone": region + "a",
			"subnetId":         "subnet-0a1b2c3d",
			"tagSpecificationSet": map[string]any{"items": []any{
				map[string]any{"resourceType": "volume", "tags": []any{map[string]any{"key": "Name", "value": "data"}}},
				map[string]any{"resourceType": "instance", "tags": []any{
					map[string]any{"key": "team", "value": "web"}, map[string]any{"key": "Name", "value": "web-1"}}},
			}},
		},
		"responseElements": map[string]any{
			"requestId": "r-1", "reservationId": "r-0123456789abcdef0", "ownerId": "123456789012",
			"subnetId": "subnet-0a1b2c3d",
			"instancesSet": map[string]any{"items": []any{
				map[string]any{"instanceId": "i-0123456789abcdef0", "imageId": "ami-0abcdef1234567890", "instanceType": "t3.micro"},
				map[string]any{"instanceId": "i-0123456789abcdef1", "imageId": "ami-0fedcba9876543210", "instanceType": "t3.micro"},
			}},
		},
	})
}

func publicAccessBlock(v bool) map[string]any {
	return ctRecord("s3.amazonaws.com", "PutBucketPublicAccessBlock", map[string]any{
		"requestParameters": map[string]any{
			"publicAccessBlock": "", "bucketName": "logs-bucket", "Host": "logs-bucket.s3.amazonaws.com",
			"PublicAccessBlockConfiguration": map[string]any{
				"xmlns":           "http://s3.amazonaws.com/doc/2006-03-01/",
				"BlockPublicAcls": v, "BlockPublicPolicy": v, "IgnorePublicAcls": v, "RestrictPublicBuckets": v,
			},
		},
		"additionalEventData": map[string]any{"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "bytesTransferredOut": 0},
	})
}

func getObject() map[string]any {
	return ctRecord("s3.amazonaws.com", "GetObject", map[string]any{
		"readOnly":          true,
		"managementEvent":   false,
		"eventCategory":     "Data",
		"requestParameters": map[string]any{"bucketName": "logs-bucket", "Host": "logs-bucket.s3.us-east-1.amazonaws.com", "key": "reports/2024/q1.csv"},
		"resources": []any{
			map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::logs-bucket/reports/2024/q1.csv"},
			map[string]any{"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::logs-bucket"},
		},
		"additionalEventData": map[string]any{"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "bytesTransferredOut": 33.0},
	})
}

// newJudge returns a judge running CloudTrail records through every
// upstream rule.
func newJudge(tb testing.TB) *srctest.Judge {
	o := engine.DefaultOptions()
	o.Matching = engine.MatchAll
	return srctest.NewJudge(tb, Def(), o, &Decoder{}, upstreamRules(tb))
}

// judgeTime is the time the test records are judged at.
const judgeTime = 1714557600000000000

func TestRulesFire(t *testing.T) {
	j := newJudge(t)
	failed := map[string]any{"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::123456789012:user/Alice is not authorized"}
	ecs := func(name string, mods map[string]any) map[string]any {
		m := map[string]any{"requestParameters": map[string]any{"cluster": "prod", "serviceName": "web", "taskDefinition": "web:7"}}
		for k, v := range mods {
			m[k] = v
		}
		return ctRecord("ecs.amazonaws.com", name, m)
	}
	lambda := func(name string) map[string]any {
		return ctRecord("lambda.amazonaws.com", name, map[string]any{"requestParameters": map[string]any{"functionName": "resize-images"}})
	}
	s3 := func(name string) map[string]any {
		return ctRecord("s3.amazonaws.com", name, map[string]any{"requestParameters": map[string]any{"bucketName": "logs-bucket", "Host": "logs-bucket.s3.amazonaws.com", "policy": `{"Version":"2012-10-17"}`}})
	}
	cases := []struct {
		name string
		rec  any
		want []string
	}{
		{"console login through assumed role", consoleLogin(assumedRole("Admin", "alice"), "Success", "No"),
			[]string{"Console Login Through Assume Role"}},
		{"console login without MFA", consoleLogin(iamUser("Bob"), "Success", "No"),
			[]string{"Console Login Without MFA"}},
		{"root console login without MFA", consoleLogin(rootUser(), "Success", "No"),
			[]string{"Console Login Without MFA", "Console Root Login Without MFA"}},
		{"console login with MFA (benign)", consoleLogin(iamUser("Bob"), "Success", "Yes"), nil},
		{"failed console login (benign)", consoleLogin(iamUser("Bob"), "Failure", "No"), nil},
		{"root MFA deactivated", ctRecord("iam.amazonaws.com", "DeactivateMFADevice", map[string]any{
			"userIdentity":      rootUser(),
			"requestParameters": map[string]any{"userName": "AWS ROOT USER", "serialNumber": "arn:aws:iam::123456789012:mfa/root-account-mfa-device"}}),
			[]string{"Deactivate MFA for Root User"}},
		{"user MFA deactivated (benign)", ctRecord("iam.amazonaws.com", "DeactivateMFADevice", map[string]any{
			"requestParameters": map[string]any{"userName": "Bob", "serialNumber": "arn:aws:iam::123456789012:mfa/Bob"}}),
			nil},
		{"user created", ctRecord("iam.amazonaws.com", "CreateUser", map[string]any{"requestParameters": map[string]any{"userName": "mallory"}}),
			[]string{"Create AWS user"}},
		{"user creation denied (benign)", ctRecord("iam.amazonaws.com", "CreateUser", failed), nil},
		{"group created", ctRecord("iam.amazonaws.com", "CreateGroup", map[string]any{"requestParameters": map[string]any{"groupName": "admins"}}),
			[]string{"Create Group"}},
		{"group deleted", ctRecord("iam.amazonaws.com", "DeleteGroup", map[string]any{"requestParameters": map[string]any{"groupName": "auditors"}}),
			[]string{"Delete Group"}},
		{"ECS service created", ecs("CreateService", nil), []string{"ECS Service Created"}},
		{"Cloud Map service created (benign)", ctRecord("servicediscovery.amazonaws.com", "CreateService", nil), nil},
		{"ECS task run", ecs("RunTask", nil), []string{"ECS Task Run or Started"}},
		{"ECS task started", ecs("StartTask", nil), []string{"ECS Task Run or Started"}},
		{"ECS tasks listed (benign)", ecs("ListTasks", map[string]any{"readOnly": true}), nil},
		{"lambda created", lambda("CreateFunction20150331"), []string{"Create Lambda Function"}},
		{"lambda code updated", lambda("UpdateFunctionCode20150331v2"), []string{"Update Lambda Function Code"}},
		{"lambda configuration updated", lambda("UpdateFunctionConfiguration20150331v2"), []string{"Update Lambda Function Configuration"}},
		{"lambda invoked (benign)", lambda("Invoke"), nil},
		{"instances run", runInstances("eu-west-1"), []string{"Run Instances", "Run Instances in Non-approved Region"}},
		{"instances described (benign)", ctRecord("ec2.amazonaws.com", "DescribeInstances", map[string]any{"readOnly": true}), nil},
		{"bucket encryption deleted", s3("DeleteBucketEncryption"), []string{"Delete Bucket Encryption"}},
		{"public access block removed", publicAccessBlock(false), []string{"Delete Bucket Public Access Block"}},
		{"public access block set (benign)", publicAccessBlock(true), nil},
		{"buckets listed (rule disabled)", s3("ListBuckets"), nil},
		{"bucket ACL set", s3("PutBucketAcl"), []string{"Put Bucket ACL"}},
		{"bucket policy set", s3("PutBucketPolicy"), []string{"Put Bucket Policy"}},
		{"bucket policy read (benign)", s3("GetBucketPolicy"), nil},
		{"object read (benign)", getObject(), nil},
		{"trail created", ctRecord("cloudtrail.amazonaws.com", "CreateTrail", map[string]any{"requestParameters": map[string]any{"name": "org-trail", "s3BucketName": "trail-logs"}}),
			[]string{"CloudTrail Trail Created"}},
		{"logging stopped", ctRecord("cloudtrail.amazonaws.com", "StopLogging", map[string]any{"requestParameters": map[string]any{"name": "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"}}),
			[]string{"CloudTrail Logging Disabled"}},
		{"logging started (benign)", ctRecord("cloudtrail.amazonaws.com", "StartLogging", nil), nil},
		{"role assumed by a service (benign)", ctRecord("sts.amazonaws.com", "AssumeRole", map[string]any{
			"userIdentity": awsService("ec2.amazonaws.com"), "sourceIPAddress": "ec2.amazonaws.com", "readOnly": true}), nil},
	}
	fired := map[string]bool{}
	for _, c := range cases {
		for _, n := range j.Expect(t, c.name, srctest.JSON(t, c.rec), judgeTime, c.want) {
			fired[n] = true
		}
	}
	var names []string
	for _, r := range j.Source.Rules() {
		if !fired[r.Spec.Name] {
			names = append(names, r.Spec.Name)
		}
	}
	t.Logf("%d rules fired; not fired: %s", len(fired), strings.Join(names, "; "))
}

// TestAlertOutput checks one alert's rendered output and typed fields.
func TestAlertOutput(t *testing.T) {
	j := newJudge(t)
	for _, a := range j.Fire(t, srctest.JSON(t, runInstances("eu-west-1")), judgeTime) {
		if a.Rule != "Run Instances in Non-approved Region" {
			continue
		}
		want := "10:00:00.000000000: Warning A number of instances have been launched in a non-approved region. " +
			"(requesting user=Alice, requesting IP=198.51.100.7, AWS region=eu-west-1, availability zone=eu-west-1a, " +
			"subnet id=subnet-0a1b2c3d, reservation id=r-0123456789abcdef0, image id=i-0123456789abcdef0)"
		if a.Output != want {
			t.Errorf("output\n got %s\nwant %s", a.Output, want)
		}
		var fields map[string]any
		if err := json.Unmarshal(a.OutputFields, &fields); err != nil {
			t.Fatal(err)
		}
		if fields["ct.user"] != "Alice" || fields["ct.region"] != "eu-west-1" {
			t.Errorf("output fields %s", a.OutputFields)
		}
		return
	}
	t.Error("rule did not fire")
}
