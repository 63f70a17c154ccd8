package cloudtrail

import (
	"fmt"
	"strconv"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// record returns the context's CloudTrail record; missing when the
// current event is none.
func record(c *field.Context) jsonsrc.Value {
	if e, ok := c.Plugin.(*Event); ok {
		return e.root
	}
	return jsonsrc.Value{}
}

// textFn appends a text field's value for record r; ok is false when
// the field has none.
type textFn func(dst []byte, r jsonsrc.Value) ([]byte, bool)

// numFn returns a numeric field's value for record r.
type numFn func(r jsonsrc.Value) (uint64, bool)

// text defines a string field computed by fn.
func text(name, desc string, fn textFn) field.Def {
	return field.Def{Name: name, Type: event.PTCharBuf, Desc: desc,
		Text: func(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
			r := record(c)
			if !r.Exists() {
				return dst, false
			}
			return fn(dst, r)
		}}
}

// str defines a string field whose value is the JSON value at path: a
// string's content, any other value as compact JSON.
func str(name, desc string, path ...string) field.Def {
	return text(name, desc, func(dst []byte, r jsonsrc.Value) ([]byte, bool) {
		return appendText(dst, r.At(path...))
	})
}

// compactJSON defines a string field whose value is the JSON value at key
// as compact JSON (ct.request, ct.response, …).
func compactJSON(name, desc, key string) field.Def {
	return text(name, desc, func(dst []byte, r jsonsrc.Value) ([]byte, bool) {
		v := r.Get(key)
		if !v.Exists() {
			return dst, false
		}
		return v.AppendJSON(dst), true
	})
}

// flag defines a field that is "true" when the value at key is the JSON
// literal true and "false" for any other value; none when key is absent.
func flag(name, desc, key string) field.Def {
	return text(name, desc, func(dst []byte, r jsonsrc.Value) ([]byte, bool) {
		v := r.Get(key)
		if !v.Exists() {
			return dst, false
		}
		return strconv.AppendBool(dst, v.Bool()), true
	})
}

// num defines a uint64 field computed by fn, comparable as a number.
func num(name, desc string, fn numFn) field.Def {
	get := func(c *field.Context) (uint64, bool) {
		r := record(c)
		if !r.Exists() {
			return 0, false
		}
		return fn(r)
	}
	return field.Def{Name: name, Type: event.PTUint64, Desc: desc,
		Text: func(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
			n, ok := get(c)
			if !ok {
				return dst, false
			}
			return strconv.AppendUint(dst, n, 10), true
		},
		Num: func(c *field.Context, _ *field.Arg) (int64, bool) {
			n, ok := get(c)
			return int64(n), ok
		}}
}

// appendText appends a present value as text: a string's content, any
// other value as compact JSON.
func appendText(dst []byte, v jsonsrc.Value) ([]byte, bool) {
	if !v.Exists() {
		return dst, false
	}
	return v.AppendText(dst), true
}

// fixed appends s.
func fixed(dst []byte, s string) ([]byte, bool) { return append(dst, s...), true }

// Fields returns the fields of the cloudtrail plugin: ct.*, s3.*, ec2.*,
// ecr.* and iam.*.
func Fields() []field.Def {
	defs := recordFields()
	defs = append(defs, userFields()...)
	defs = append(defs, requestFields()...)
	defs = append(defs, detailFields()...)
	defs = append(defs, s3Fields()...)
	return append(defs, resourceFields()...)
}

func recordFields() []field.Def {
	return []field.Def{
		str("ct.id", "the unique id of the event (eventID)", "eventID"),
		str("ct.error", "the error code of the event (errorCode); no value when the call succeeded", "errorCode"),
		str("ct.errormessage", "the description of the error (errorMessage); no value when the call succeeded", "errorMessage"),
		str("ct.time", "the time of the event as written (eventTime)", "eventTime"),
		str("ct.src", "the service the event comes from (eventSource), as iam.amazonaws.com", "eventSource"),
		text("ct.shortsrc", "the service the event comes from without the .amazonaws.com suffix, as iam", shortSrc),
		str("ct.name", "the name of the event (eventName), the API call as CreateUser", "eventName"),
		str("ct.region", "the region of the event (awsRegion)", "awsRegion"),
		str("ct.srcip", "the address the request came from (sourceIPAddress), or the service that made it", "sourceIPAddress"),
		str("ct.useragent", "the user agent of the request (userAgent)", "userAgent"),
		text("ct.info", "a summary of the event: who, from where, what, whether it failed (!) and whether it reads (←) or writes (→), with event-specific details", appendInfo),
		flag("ct.managementevent", "true for a management event (managementEvent), false otherwise", "managementEvent"),
		flag("ct.readonly", "true when the event only reads (readOnly), false when it changes state", "readOnly"),
		str("ct.requestid", "the id of the request (requestID)", "requestID"),
		str("ct.eventtype", "the type of the event (eventType): AwsApiCall, AwsServiceEvent, AwsConsoleAction, AwsConsoleSignIn, …", "eventType"),
		str("ct.apiversion", "the API version of an AwsApiCall event (apiVersion)", "apiVersion"),
		text("ct.resources", "the resources the event accessed (resources), each as compact JSON, separated by commas", resources),
		str("ct.recipientaccountid", "the account that received the event (recipientAccountId)", "recipientAccountId"),
		str("ct.serviceeventdetails", "the details of a service event, what triggered it and its result (serviceEventDetails)", "serviceEventDetails"),
		str("ct.sharedeventid", "the id CloudTrail gives an event delivered to several accounts (sharedEventID)", "sharedEventID"),
		str("ct.vpcendpointid", "the VPC endpoint the request was made through (vpcEndpointId)", "vpcEndpointId"),
		str("ct.eventcategory", "the category of the event (eventCategory): Management, Data, Insight", "eventCategory"),
	}
}

func userFields() []field.Def {
	return []field.Def{
		text("ct.user", "the user of the event: userIdentity.userName for Root and IAMUser, invokedBy for AWSService, the role name (sessionContext.sessionIssuer.userName) for AssumedRole, AWSAccount or FederatedUser for those types", appendUser),
		text("ct.originaluser", "the user as CloudTrail names it: for AssumedRole the session name, from userIdentity.arn or principalId; for other types userIdentity.userName", originalUser),
		text("ct.user.accountid", "the account of the user (userIdentity.accountId, else recipientAccountId)", accountID),
		str("ct.user.identitytype", "the kind of identity of the user (userIdentity.type): Root, IAMUser, AssumedRole, AWSService, …", "userIdentity", "type"),
		str("ct.user.principalid", "the unique id of the user that made the request (userIdentity.principalId)", "userIdentity", "principalId"),
		str("ct.user.arn", "the ARN of the user that made the request (userIdentity.arn)", "userIdentity", "arn"),
	}
}

func requestFields() []field.Def {
	req := func(name, key, what string) field.Def {
		return str("ct.request."+name, "the "+what+" given in the request (requestParameters."+key+")", "requestParameters", key)
	}
	return []field.Def{
		str("ct.response.subnetid", "the subnet id in the response (responseElements.subnetId)", "responseElements", "subnetId"),
		str("ct.response.reservationid", "the reservation id in the response (responseElements.reservationId)", "responseElements", "reservationId"),
		compactJSON("ct.response", "every response element, as compact JSON (responseElements)", "responseElements"),
		req("availabilityzone", "availabilityZone", "availability zone"),
		req("cluster", "cluster", "cluster"),
		req("functionname", "functionName", "function name"),
		req("groupname", "groupName", "group name"),
		req("host", "Host", "host"),
		req("name", "name", "name of the entity acted on"),
		req("policy", "policy", "policy"),
		req("reason", "reason", "reason"),
		req("target", "target", "target"),
		req("documentname", "documentName", "document name"),
		req("serialnumber", "serialNumber", "serial number"),
		req("servicename", "serviceName", "service name"),
		req("subnetid", "subnetId", "subnet id"),
		req("taskdefinition", "taskDefinition", "task definition"),
		req("username", "userName", "user name"),
		compactJSON("ct.request", "every request parameter, as compact JSON (requestParameters)", "requestParameters"),
		compactJSON("ct.additionaleventdata", "the additional event data, as compact JSON (additionalEventData)", "additionalEventData"),
	}
}

func detailFields() []field.Def {
	return []field.Def{
		str("ct.addendum.reason", "why the event or some of its content was missing (addendum.reason)", "addendum", "reason"),
		str("ct.addendum.updatedfields", "the record fields the addendum updates (addendum.updatedFields)", "addendum", "updatedFields"),
		str("ct.addendum.originalrequestid", "the original id of the request (addendum.originalRequestID)", "addendum", "originalRequestID"),
		str("ct.addendum.originaleventid", "the original id of the event (addendum.originalEventID)", "addendum", "originalEventID"),
		flag("ct.sessioncredentialfromconsole", "true when the event came from an AWS Management Console session (sessionCredentialFromConsole)", "sessionCredentialFromConsole"),
		str("ct.edgedevicedetails", "the edge devices the request targets (edgeDeviceDetails)", "edgeDeviceDetails"),
		str("ct.tlsdetails.tlsversion", "the TLS version of the request (tlsDetails.tlsVersion)", "tlsDetails", "tlsVersion"),
		str("ct.tlsdetails.ciphersuite", "the TLS cipher suite of the request (tlsDetails.cipherSuite)", "tlsDetails", "cipherSuite"),
		str("ct.tlsdetails.clientprovidedhostheader", "the host name the client called (tlsDetails.clientProvidedHostHeader)", "tlsDetails", "clientProvidedHostHeader"),
	}
}

func s3Fields() []field.Def {
	return []field.Def{
		text("s3.uri", "the S3 URI of the object, s3://bucket/key", s3URI),
		str("s3.bucket", "the bucket of an S3 event (requestParameters.bucketName)", "requestParameters", "bucketName"),
		str("s3.key", "the object key of an S3 event (requestParameters.key)", "requestParameters", "key"),
		num("s3.bytes", "the bytes of an S3 upload or download: additionalEventData.bytesTransferredIn plus bytesTransferredOut", s3Bytes),
		num("s3.bytes.in", "the bytes of an S3 upload (additionalEventData.bytesTransferredIn)", transferred("bytesTransferredIn")),
		num("s3.bytes.out", "the bytes of an S3 download (additionalEventData.bytesTransferredOut)", transferred("bytesTransferredOut")),
		num("s3.cnt.get", "1 for a GetObject event; no value for others", nameCount(true, "GetObject")),
		num("s3.cnt.put", "1 for a PutObject event; no value for others", nameCount(true, "PutObject")),
		num("s3.cnt.other", "1 for events other than GetObject and PutObject; no value for those", nameCount(false, "GetObject", "PutObject")),
	}
}

func resourceFields() []field.Def {
	return []field.Def{
		text("ec2.name", "the name of the EC2 instance, from the Name tag in the request's instance tag specifications", ec2Name),
		text("ec2.imageid", "deprecated by ec2.imageids[0]: the id of the image of the (first) EC2 instance", ec2ImageID),
		imageIDs(),
		str("ecr.repository", "the ECR repository named in the request (requestParameters.repositoryName)", "requestParameters", "repositoryName"),
		str("ecr.imagetag", "the image tag named in the request (requestParameters.imageTag)", "requestParameters", "imageTag"),
		str("iam.role", "the IAM role named in the request (requestParameters.roleName)", "requestParameters", "roleName"),
		str("iam.policy", "the IAM policy named in the request (requestParameters.policyName)", "requestParameters", "policyName"),
	}
}

// amazonSuffix ends the names of AWS services in eventSource.
const amazonSuffix = ".amazonaws.com"

func shortSrc(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	v := r.Get("eventSource")
	if !v.Exists() {
		return dst, false
	}
	return appendShortSrc(dst, v), true
}

// appendShortSrc appends a service name without its .amazonaws.com
// suffix.
func appendShortSrc(dst []byte, v jsonsrc.Value) []byte {
	start := len(dst)
	dst = v.AppendText(dst)
	s := dst[start:]
	if v.Kind() == jsonsrc.String && len(s) > len(amazonSuffix) && string(s[len(s)-len(amazonSuffix):]) == amazonSuffix {
		dst = dst[:len(dst)-len(amazonSuffix)]
	}
	return dst
}

// appendUser appends ct.user: the user name that userIdentity gives for
// its type; ok is false for a missing or unknown type and for a user
// without a name.
func appendUser(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	id := r.Get("userIdentity")
	t := id.Get("type")
	switch {
	case t.StrEq("Root"), t.StrEq("IAMUser"):
		return appendText(dst, id.Get("userName"))
	case t.StrEq("AWSService"):
		return appendText(dst, id.Get("invokedBy"))
	case t.StrEq("AssumedRole"):
		if v := id.At("sessionContext", "sessionIssuer", "userName"); v.Exists() {
			return v.AppendText(dst), true
		}
		return fixed(dst, "AssumedRole")
	case t.StrEq("AWSAccount"):
		return fixed(dst, "AWSAccount")
	case t.StrEq("FederatedUser"):
		return fixed(dst, "FederatedUser")
	}
	return dst, false
}

func originalUser(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	id := r.Get("userIdentity")
	if !id.Get("type").StrEq("AssumedRole") {
		return appendText(dst, id.Get("userName"))
	}
	// arn:aws:sts::123456789012:assumed-role/RoleName/SessionName
	if v := id.Get("arn"); v.Exists() {
		if part, ok := nthOf(dst, v, '/', 3, 2); ok {
			return part, true
		}
	}
	// AROAEXAMPLEID:SessionName
	if v := id.Get("principalId"); v.Exists() {
		if part, ok := nthOf(dst, v, ':', 2, 1); ok {
			return part, true
		}
	}
	return dst, false
}

// nthOf appends part n of v's text split at sep, when it splits into
// exactly parts parts.
func nthOf(dst []byte, v jsonsrc.Value, sep byte, parts, n int) ([]byte, bool) {
	start := len(dst)
	dst = v.AppendText(dst)
	s := dst[start:]
	count, from, to := 1, 0, len(s)
	for i, c := range s {
		if c != sep {
			continue
		}
		if count == n {
			from = i + 1
		}
		if count == n+1 {
			to = i
		}
		count++
	}
	if count != parts {
		return dst[:start], false
	}
	m := copy(s, s[from:to])
	return dst[:start+m], true
}

func accountID(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	if v := r.At("userIdentity", "accountId"); v.Exists() {
		return v.AppendText(dst), true
	}
	return appendText(dst, r.Get("recipientAccountId"))
}

func resources(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	it := r.Get("resources").Iter()
	start := len(dst)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		if k.Exists() {
			return dst[:start], false // an object, not a list
		}
		if len(dst) > start {
			dst = append(dst, ',')
		}
		dst = v.AppendJSON(dst)
	}
	return dst, len(dst) > start
}

func s3URI(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	p := r.Get("requestParameters")
	bucket, key := p.Get("bucketName"), p.Get("key")
	if bucket.Kind() != jsonsrc.String || key.Kind() != jsonsrc.String {
		return dst, false
	}
	dst = append(dst, "s3://"...)
	dst = bucket.AppendText(dst)
	dst = append(dst, '/')
	return key.AppendText(dst), true
}

// byteCount reads a byte count as the plugin does: an unsigned integer,
// else a number truncated (CloudTrail writes some as 33.0), else 0.
func byteCount(v jsonsrc.Value) uint64 {
	if v.Kind() != jsonsrc.Number {
		return 0
	}
	raw := v.Raw()
	if n, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f <= 0 || f != f {
		return 0
	}
	if f >= 1<<64 {
		return 1<<64 - 1
	}
	return uint64(f)
}

func s3Bytes(r jsonsrc.Value) (uint64, bool) {
	d := r.Get("additionalEventData")
	in, out := d.Get("bytesTransferredIn"), d.Get("bytesTransferredOut")
	return byteCount(in) + byteCount(out), in.Exists() || out.Exists()
}

func transferred(key string) numFn {
	return func(r jsonsrc.Value) (uint64, bool) {
		v := r.At("additionalEventData", key)
		return byteCount(v), v.Exists()
	}
}

// nameCount counts 1 for events named one of names (when in) or for
// events named otherwise (when not in); other events have no value.
func nameCount(in bool, names ...string) numFn {
	return func(r jsonsrc.Value) (uint64, bool) {
		name := r.Get("eventName")
		hit := false
		for _, n := range names {
			hit = hit || name.StrEq(n)
		}
		return 1, hit == in
	}
}

// ec2Name finds the Name tag of the instance tag specifications of a
// request; the last instance specification with one wins.
func ec2Name(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	var name jsonsrc.Value
	items := r.At("requestParameters", "tagSpecificationSet", "items").Iter()
	for {
		_, item, ok := items.Next()
		if !ok {
			break
		}
		if !item.Get("resourceType").StrEq("instance") {
			continue
		}
		tags := item.Get("tags").Iter()
		for {
			_, tag, ok := tags.Next()
			if !ok {
				break
			}
			if tag.Get("key").StrEq("Name") {
				name = tag.Get("value")
				break
			}
		}
	}
	if name.Kind() != jsonsrc.String || len(name.Raw()) <= 2 { // none, or ""
		return dst, false
	}
	return name.AppendText(dst), true
}

// eachImage calls f with the image ids of the instances an EC2 event is
// about, until f returns false: those of the response's instancesSet, or
// the one the request names. idx picks one instance (-1 for all); the
// request's image is instance 0. It reports whether there are any.
func eachImage(r jsonsrc.Value, idx int, f func(jsonsrc.Value) bool) bool {
	if items := r.At("responseElements", "instancesSet", "items"); items.Exists() {
		if idx >= 0 {
			v := items.Index(idx).Get("imageId")
			if v.Exists() {
				f(v)
			}
			return v.Exists()
		}
		found := false
		it := items.Iter()
		for {
			_, item, ok := it.Next()
			if !ok {
				return found
			}
			if v := item.Get("imageId"); v.Kind() == jsonsrc.String && len(v.Raw()) > 2 {
				found = true
				if !f(v) {
					return true
				}
			}
		}
	}
	if idx > 0 {
		return false
	}
	req := r.Get("requestParameters")
	for _, v := range [...]jsonsrc.Value{
		req.Get("imageId"),
		req.At("DescribeFastLaunchImagesRequest", "ImageId", "content"),
		req.At("launchSpecification", "imageId"),
	} {
		if v.Exists() {
			f(v)
			return true
		}
	}
	return false
}

func ec2ImageID(dst []byte, r jsonsrc.Value) ([]byte, bool) {
	ok := eachImage(r, 0, func(v jsonsrc.Value) bool {
		dst = v.AppendText(dst)
		return false
	})
	return dst, ok
}

// indexArg accepts a non-negative index, as in ec2.imageids[0].
func indexArg(a *field.Arg) (*field.Arg, error) {
	if !a.IsNum || a.Index < 0 {
		return nil, fmt.Errorf("the argument of this field is an index, a number from 0, not %q: %w", a.Text, field.ErrBadArg)
	}
	return a, nil
}

func argIndex(a *field.Arg) int {
	if a == nil {
		return -1
	}
	return a.Index
}

// imageIDs is ec2.imageids, a list with an optional instance index.
func imageIDs() field.Def {
	return field.Def{Name: "ec2.imageids", Type: event.PTCharBuf, List: true,
		Arg: field.ArgOptional, CheckArg: indexArg,
		Desc: "the ids of the images of the EC2 instances an event is about; with an index, that instance's",
		Text: func(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
			r := record(c)
			start := len(dst)
			dst = append(dst, '(')
			ok := r.Exists() && eachImage(r, argIndex(a), func(v jsonsrc.Value) bool {
				if len(dst) > start+1 {
					dst = append(dst, ',')
				}
				dst = v.AppendText(dst)
				return true
			})
			if !ok {
				return dst[:start], false
			}
			return append(dst, ')'), true
		},
		Multi: func(dst []byte, c *field.Context, a *field.Arg, i int) ([]byte, bool) {
			r := record(c)
			n, found := 0, false
			if r.Exists() {
				eachImage(r, argIndex(a), func(v jsonsrc.Value) bool {
					if n == i {
						dst, found = v.AppendText(dst), true
						return false
					}
					n++
					return true
				})
			}
			return dst, found
		},
	}
}
