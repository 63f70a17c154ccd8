package k8saudit

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/field"
	"github.com/kestrel-sec/kestrel/source/jsonsrc"
)

// current returns the context's audit event, or nil.
func current(c *field.Context) *Event {
	e, _ := c.Plugin.(*Event)
	return e
}

// scalar defines a field whose value is the JSON value at path: a
// string's content, anything else as compact JSON.
func scalar(name, desc string, path ...string) field.Def {
	return field.Def{Name: name, Type: event.PTCharBuf, Desc: desc,
		Text: func(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
			e := current(c)
			if e == nil {
				return dst, false
			}
			v := e.root().At(path...)
			if !v.Exists() {
				return dst, false
			}
			return v.AppendText(dst), true
		}}
}

// argIndex returns the index argument of a list field, -1 for none.
func argIndex(a *field.Arg) int {
	if a == nil {
		return -1
	}
	return a.Index
}

// indexArg accepts a non-negative index, as in ka.req.pod.containers.image[0].
func indexArg(a *field.Arg) (*field.Arg, error) {
	if !a.IsNum || a.Index < 0 {
		return nil, fmt.Errorf("the argument of this field is an index, a number from 0, not %q: %w", a.Text, field.ErrBadArg)
	}
	return a, nil
}

// list defines a list field (in, intersects and exists compare it; its
// text is "(a,b,c)"), with an optional index argument when indexed.
func list(name, desc string, indexed bool, fill listFill) field.Def {
	d := field.Def{Name: name, Type: event.PTCharBuf, Desc: desc, List: true,
		Text: func(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
			e := current(c)
			if e == nil {
				return dst, false
			}
			l, ok := e.list(name, argIndex(a), fill)
			if !ok {
				return dst, false
			}
			dst = append(dst, '(')
			for i := 0; i < l.len(); i++ {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, l.at(i)...)
			}
			return append(dst, ')'), true
		},
		Multi: func(dst []byte, c *field.Context, a *field.Arg, i int) ([]byte, bool) {
			e := current(c)
			if e == nil {
				return dst, false
			}
			l, ok := e.list(name, argIndex(a), fill)
			if !ok || i >= l.len() {
				return dst, false
			}
			return append(dst, l.at(i)...), true
		},
	}
	if indexed {
		d.Arg, d.CheckArg = field.ArgOptional, indexArg
	}
	return d
}

// arrayAt fills a list with the elements of the array at path; no value
// when there is none or it is no array.
func arrayAt(path ...string) listFill {
	return func(e *Event, _ int, out *strList) bool {
		v := e.root().At(path...)
		if v.Kind() != jsonsrc.Array {
			return false
		}
		it := v.Iter()
		for {
			_, el, ok := it.Next()
			if !ok {
				return true
			}
			out.add(el)
		}
	}
}

// elems fills a list with the elements of the array at path, or only
// its idx-th.
func elems(path ...string) listFill {
	all := arrayAt(path...)
	return func(e *Event, idx int, out *strList) bool {
		if idx < 0 {
			return all(e, idx, out)
		}
		v := e.root().At(path...).Index(idx)
		if !v.Exists() {
			return false
		}
		out.add(v)
		return true
	}
}

// skipMissing fills a list with what walking path finds, leaving out the
// elements that lack it.
func skipMissing(path ...string) listFill {
	return func(e *Event, idx int, out *strList) bool {
		vs, ok := e.values(idx, path...)
		if !ok {
			return false
		}
		for _, v := range vs {
			if v.Exists() {
				out.add(v)
			}
		}
		return true
	}
}

// allPresent fills a list with what walking path finds; no value when an
// element lacks it.
func allPresent(path ...string) listFill {
	return func(e *Event, idx int, out *strList) bool {
		vs, ok := e.values(idx, path...)
		if !ok {
			return false
		}
		for _, v := range vs {
			if !v.Exists() {
				return false
			}
			out.add(v)
		}
		return true
	}
}

// flattened fills a list with the items of the arrays walking path finds.
func flattened(path ...string) listFill {
	return func(e *Event, idx int, out *strList) bool {
		vs, ok := e.values(idx, path...)
		if !ok {
			return false
		}
		for _, v := range vs {
			it := v.Iter()
			for {
				_, el, more := it.Next()
				if !more {
					break
				}
				out.add(el)
			}
		}
		return true
	}
}

// Fields returns the ka.* fields of the k8saudit plugin.
func Fields() []field.Def {
	defs := []field.Def{
		scalar("ka.auditid", "the unique id of the audit event", "auditID"),
		scalar("ka.stage", "stage of the request (RequestReceived, ResponseComplete, …)", "stage"),
		scalar("ka.auth.decision", "the authorization decision", "annotations", "authorization.k8s.io/decision"),
		scalar("ka.auth.reason", "the authorization reason", "annotations", "authorization.k8s.io/reason"),
		scalar("ka.auth.openshift.decision", "the authentication decision of the OpenShift API server extension (OpenShift clusters only)", "annotations", "authentication.openshift.io/decision"),
		scalar("ka.validations.admission.policy.failure", "the validation failure reason from a validating admission policy", "annotations", "validation.policy.admission.k8s.io/validation_failure"),
		scalar("ka.security.pod.violations", "the violation reason of the pod security admission", "annotations", "pod-security.kubernetes.io/audit-violations"),
		scalar("ka.auth.openshift.username", "the user name of the OpenShift authentication (OpenShift clusters only)", "annotations", "authentication.openshift.io/username"),
		scalar("ka.user.name", "the user name performing the request", "user", "username"),
		list("ka.user.groups", "the groups to which the user belongs", false, arrayAt("user", "groups")),
		scalar("ka.impuser.name", "the impersonated user name", "impersonatedUser", "username"),
		scalar("ka.verb", "the action being performed", "verb"),
		scalar("ka.uri", "the request URI as sent from client to server", "requestURI"),
		{Name: "ka.uri.param", Type: event.PTCharBuf, Arg: field.ArgRequired, CheckArg: keyArg,
			Desc: "the value of a query parameter of the URI: with uri=/foo?key=val, ka.uri.param[key] is val", Text: uriParam},
		scalar("ka.target.name", "the target object name", "objectRef", "name"),
		scalar("ka.target.namespace", "the target object namespace", "objectRef", "namespace"),
		scalar("ka.target.resource", "the target object resource", "objectRef", "resource"),
		scalar("ka.target.subresource", "the target object subresource", "objectRef", "subresource"),
		{Name: "ka.target.pod.name", Type: event.PTCharBuf, Desc: "the name of the pod the request created or changed: the response object's name when the target is pods without a subresource", Text: targetPodName},
		list("ka.req.binding.subjects", "when the request object is a (cluster) role binding, the subjects (accounts, users) it links", false, arrayAt("requestObject", "subjects")),
		list("ka.req.binding.subjects.user_names", "when the request object is a (cluster) role binding, the names of its User subjects", false, subjectNames("User", false)),
		list("ka.req.binding.subjects.serviceaccount_names", "when the request object is a (cluster) role binding, the names of its ServiceAccount subjects", false, subjectNames("ServiceAccount", false)),
		list("ka.req.binding.subjects.serviceaccount_ns_names", "when the request object is a (cluster) role binding, its ServiceAccount subjects as namespace:name", false, subjectNames("ServiceAccount", true)),
		list("ka.req.binding.subjects.group_names", "when the request object is a (cluster) role binding, the names of its Group subjects", false, subjectNames("Group", false)),
		scalar("ka.req.binding.role", "when the request object is a (cluster) role binding, the role it links", "requestObject", "roleRef", "name"),
		{Name: "ka.req.binding.subject.has_name", Type: event.PTCharBuf, Arg: field.ArgRequired, CheckArg: keyArg,
			Desc: "deprecated: always true, kept for old rules", Text: func(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
				if e := current(c); e == nil || !e.root().Exists() {
					return dst, false
				}
				return append(dst, "true"...), true
			}},
		scalar("ka.req.configmap.name", "when the request object is a configmap, its name", "objectRef", "name"),
		scalar("ka.req.configmap.obj", "when the request object is a configmap, its data as JSON", "requestObject", "data"),
		{Name: "ka.req.container.image", Type: event.PTCharBuf, Desc: "deprecated by ka.req.pod.containers.image: the image of the first container", Text: firstOf(images("containers", false))},
		{Name: "ka.req.container.image.repository", Type: event.PTCharBuf, Desc: "deprecated by ka.req.pod.containers.image.repository: the repository of the first container's image", Text: firstOf(images("containers", true))},
		scalar("ka.req.pod.host_ipc", "when the request object is a pod, its hostIPC flag", "requestObject", "spec", "hostIPC"),
		scalar("ka.req.pod.host_network", "when the request object is a pod, its hostNetwork flag", "requestObject", "spec", "hostNetwork"),
		scalar("ka.req.container.host_network", "deprecated alias of ka.req.pod.host_network", "requestObject", "spec", "hostNetwork"),
		scalar("ka.req.pod.host_pid", "when the request object is a pod, its hostPID flag", "requestObject", "spec", "hostPID"),
		{Name: "ka.req.container.privileged", Type: event.PTCharBuf, Desc: "deprecated by ka.req.pod.containers.privileged: true when a container is privileged", Text: anyPrivileged},
		scalar("ka.req.pod.run_as_user", "when the request object is a pod, the runAsUser of its security context", "requestObject", "spec", "securityContext", "runAsUser"),
		scalar("ka.req.pod.run_as_group", "when the request object is a pod, the runAsGroup of its security context", "requestObject", "spec", "securityContext", "runAsGroup"),
		list("ka.req.role.rules", "when the request object is a (cluster) role, its rules", false, arrayAt("requestObject", "rules")),
		list("ka.req.role.rules.apiGroups", "when the request object is a (cluster) role, the API groups of its rules (of rule N with an index)", true, flattened("requestObject", "rules", "apiGroups")),
		list("ka.req.role.rules.nonResourceURLs", "when the request object is a (cluster) role, the non-resource URLs of its rules", true, flattened("requestObject", "rules", "nonResourceURLs")),
		list("ka.req.role.rules.verbs", "when the request object is a (cluster) role, the verbs of its rules", true, flattened("requestObject", "rules", "verbs")),
		list("ka.req.role.rules.resources", "when the request object is a (cluster) role, the resources of its rules", true, flattened("requestObject", "rules", "resources")),
		scalar("ka.req.pod.fs_group", "when the request object is a pod, the fsGroup of its security context", "requestObject", "spec", "securityContext", "fsGroup"),
		list("ka.req.pod.supplemental_groups", "when the request object is a pod, the supplementalGroups of its security context", false, arrayAt("requestObject", "spec", "securityContext", "supplementalGroups")),
		scalar("ka.req.service.type", "when the request object is a service, its type", "requestObject", "spec", "type"),
		list("ka.req.service.ports", "when the request object is a service, its ports", true, skipMissing("requestObject", "spec", "ports")),
		list("ka.req.pod.volumes.hostpath", "when the request object is a pod, the hostPath paths of its volumes", true, skipMissing("requestObject", "spec", "volumes", "hostPath", "path")),
		{Name: "ka.req.volume.hostpath", Type: event.PTCharBuf, Arg: field.ArgRequired, CheckArg: keyArg,
			Desc: "deprecated by ka.req.pod.volumes.hostpath: true when a volume uses the host path given (a prefix when it ends with *)", Text: volumeHostPath},
		list("ka.req.pod.volumes.flexvolume_driver", "when the request object is a pod, the flexVolume drivers of its volumes", true, skipMissing("requestObject", "spec", "volumes", "flexVolume", "driver")),
		list("ka.req.pod.volumes.volume_type", "when the request object is a pod, the types of its volumes", true, volumeTypes),
		scalar("ka.resp.name", "the response object name", "responseObject", "metadata", "name"),
		scalar("ka.response.code", "the response code", "responseStatus", "code"),
		scalar("ka.response.reason", "the response reason (usually present only for failures)", "responseStatus", "reason"),
		scalar("ka.useragent", "the user agent of the client who made the request to the API server", "userAgent"),
		list("ka.sourceips", "the IP addresses of the client who made the request to the API server", true, elems("sourceIPs")),
		scalar("ka.cluster.name", "the name of the Kubernetes cluster (the cluster_name annotation)", "annotations", "cluster_name"),
	}
	defs = append(defs, containerFields("containers", "containers", true)...)
	defs = append(defs, containerFields("initContainers", "init containers", true)...)
	return append(defs, containerFields("ephemeralContainers", "ephemeral containers", false)...)
}

// containerFields are the per-container fields of one of a pod's lists
// of containers; each takes the index of a container as its argument.
func containerFields(lst, label string, hostPort bool) []field.Def {
	p := "ka.req.pod." + lst + "."
	when := "when the request object is a pod, "
	sc := func(key string) listFill { return skipMissing("requestObject", "spec", lst, "securityContext", key) }
	defs := []field.Def{
		list(p+"name", when+"the names of its "+label, true, allPresent("requestObject", "spec", lst, "name")),
		list(p+"image", when+"the images of its "+label, true, images(lst, false)),
		list(p+"image.repository", when+"the repositories of the images of its "+label+" (the image without tag and digest)", true, images(lst, true)),
		list(p+"command", when+"the commands of its "+label+", each joined with blanks", true, joined(lst, "command")),
		list(p+"args", when+"the arguments of its "+label+", each joined with blanks", true, joined(lst, "args")),
		list(p+"privileged", when+"the privileged flags of its "+label, true, sc("privileged")),
		list(p+"allow_privilege_escalation", when+"the allowPrivilegeEscalation flags of its "+label, true, sc("allowPrivilegeEscalation")),
		list(p+"read_only_fs", when+"the readOnlyRootFilesystem flags of its "+label, true, sc("readOnlyRootFilesystem")),
		list(p+"run_as_user", when+"the runAsUser uids of its "+label, true, sc("runAsUser")),
		list(p+"eff_run_as_user", when+"the uid each of its "+label+" starts with: the container's runAsUser, else the pod's, else 0", true, effective(lst, "runAsUser")),
		list(p+"run_as_group", when+"the runAsGroup gids of its "+label, true, sc("runAsGroup")),
		list(p+"eff_run_as_group", when+"the gid each of its "+label+" starts with: the container's runAsGroup, else the pod's, else 0", true, effective(lst, "runAsGroup")),
		list(p+"proc_mount", when+"the procMount types of its "+label, true, sc("procMount")),
		list(p+"add_capabilities", when+"the capabilities its "+label+" add", true, flattened("requestObject", "spec", lst, "securityContext", "capabilities", "add")),
	}
	if hostPort {
		defs = append(defs, list(p+"host_port", when+"the host ports of its "+label+" (the container port where no host port is given)", true, hostPorts(lst)))
	}
	return defs
}

// keyArg accepts any text as the argument.
func keyArg(a *field.Arg) (*field.Arg, error) {
	b := *a
	b.IsNum = false
	return &b, nil
}

// firstOf makes a single-valued field of a list's first value.
func firstOf(fill listFill) field.Extractor {
	return func(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
		e := current(c)
		if e == nil {
			return dst, false
		}
		var l strList
		if !fill(e, 0, &l) || l.len() == 0 {
			return dst, false
		}
		return append(dst, l.at(0)...), true
	}
}

// images fills a list with the images of a container list, or only their
// repositories (the name before the first ':' and then before '@').
func images(lst string, repo bool) listFill {
	all := allPresent("requestObject", "spec", lst, "image")
	return func(e *Event, idx int, out *strList) bool {
		if !all(e, idx, out) {
			return false
		}
		if !repo {
			return true
		}
		for i := range out.ends {
			start := 0
			if i > 0 {
				start = out.ends[i-1]
			}
			img := out.buf[start:out.ends[i]]
			if j := bytes.IndexByte(img, ':'); j >= 0 {
				img = img[:j]
			}
			if j := bytes.IndexByte(img, '@'); j >= 0 {
				img = img[:j]
			}
			// Shift the kept prefix's end; the rest of the buffer moves
			// left so that values stay contiguous.
			cut := out.ends[i] - (start + len(img))
			if cut > 0 {
				out.buf = append(out.buf[:start+len(img)], out.buf[out.ends[i]:]...)
				for j := i; j < len(out.ends); j++ {
					out.ends[j] -= cut
				}
			}
		}
		return true
	}
}

// joined fills a list with each container's string array at key joined
// with blanks; no value when no container has one or one is not an
// array of strings.
func joined(lst, key string) listFill {
	return func(e *Event, idx int, out *strList) bool {
		vs, ok := e.values(idx, "requestObject", "spec", lst, key)
		if !ok {
			return false
		}
		for _, v := range vs {
			if !v.Exists() {
				continue
			}
			if v.Kind() != jsonsrc.Array {
				return false
			}
			start := len(out.buf)
			it := v.Iter()
			for n := 0; ; n++ {
				_, s, more := it.Next()
				if !more {
					break
				}
				if s.Kind() != jsonsrc.String {
					out.buf = out.buf[:start]
					return false
				}
				if n > 0 {
					out.buf = append(out.buf, ' ')
				}
				out.buf = s.AppendText(out.buf)
			}
			out.ends = append(out.ends, len(out.buf))
		}
		return out.len() > 0
	}
}

// effective fills a list with each container's security context value
// at key, or the pod's where the container has none, or "0".
func effective(lst, key string) listFill {
	return func(e *Event, idx int, out *strList) bool {
		pod := e.root().At("requestObject", "spec", "securityContext", key)
		vs, ok := e.values(idx, "requestObject", "spec", lst, "securityContext", key)
		if !ok {
			// No container has a security context, or none is there.
			vs, ok = e.values(idx, "requestObject", "spec", lst, "name")
			if !ok {
				return false
			}
			for range vs {
				addOr(out, pod)
			}
			return true
		}
		for _, v := range vs {
			if v.Exists() {
				out.add(v)
			} else {
				addOr(out, pod)
			}
		}
		return true
	}
}

func addOr(out *strList, pod jsonsrc.Value) {
	if pod.Exists() {
		out.add(pod)
		return
	}
	out.addBytes([]byte{'0'})
}

// hostPorts fills a list with the host ports of a container list's
// ports, or their container ports where no host port is given.
func hostPorts(lst string) listFill {
	return func(e *Event, idx int, out *strList) bool {
		vs, ok := e.values(idx, "requestObject", "spec", lst, "ports")
		if !ok {
			return false
		}
		for _, ports := range vs {
			it := ports.Iter()
			for {
				_, p, more := it.Next()
				if !more {
					break
				}
				if v := p.Get("hostPort"); v.Exists() {
					out.add(v)
				} else if v := p.Get("containerPort"); v.Exists() {
					out.add(v)
				}
			}
		}
		return true
	}
}

// volumeTypes fills a list with the keys of each volume but name: its
// type (hostPath, configMap, …).
func volumeTypes(e *Event, idx int, out *strList) bool {
	vols := e.root().At("requestObject", "spec", "volumes")
	if !vols.Exists() {
		return false
	}
	add := func(v jsonsrc.Value) {
		it := v.Iter()
		for {
			k, _, more := it.Next()
			if !more {
				return
			}
			if k.Kind() == jsonsrc.String && !k.StrEq("name") {
				out.add(k)
			}
		}
	}
	if vols.Kind() != jsonsrc.Array {
		add(vols)
		return true
	}
	if idx >= 0 {
		v := vols.Index(idx)
		if !v.Exists() {
			return false
		}
		add(v)
		return true
	}
	it := vols.Iter()
	for {
		_, v, more := it.Next()
		if !more {
			return true
		}
		add(v)
	}
}

// subjectNames fills a list with the names of a binding's subjects of one
// kind, as namespace:name with ns.
func subjectNames(kind string, ns bool) listFill {
	return func(e *Event, _ int, out *strList) bool {
		subs := e.root().At("requestObject", "subjects")
		if subs.Kind() != jsonsrc.Array {
			return false
		}
		it := subs.Iter()
		for {
			_, s, more := it.Next()
			if !more {
				return true
			}
			name := s.Get("name")
			if !s.Get("kind").StrEq(kind) || !name.Exists() {
				continue
			}
			if !ns {
				out.add(name)
				continue
			}
			nsv := s.Get("namespace")
			if !nsv.Exists() {
				continue
			}
			out.buf = nsv.AppendText(out.buf)
			out.buf = append(out.buf, ':')
			out.buf = name.AppendText(out.buf)
			out.ends = append(out.ends, len(out.buf))
		}
	}
}

func targetPodName(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
	e := current(c)
	if e == nil {
		return dst, false
	}
	ref := e.root().Get("objectRef")
	if !ref.Get("resource").StrEq("pods") {
		return dst, false
	}
	if sub := ref.Get("subresource"); sub.Exists() && !sub.StrEq("") {
		return dst, false
	}
	v := e.root().At("responseObject", "metadata", "name")
	if !v.Exists() {
		return dst, false
	}
	return v.AppendText(dst), true
}

func anyPrivileged(dst []byte, c *field.Context, _ *field.Arg) ([]byte, bool) {
	e := current(c)
	if e == nil {
		return dst, false
	}
	vs, ok := e.values(-1, "requestObject", "spec", "containers", "securityContext", "privileged")
	if !ok {
		return dst, false
	}
	for _, v := range vs {
		if v.Bool() {
			return append(dst, "true"...), true
		}
	}
	return append(dst, "false"...), true
}

func volumeHostPath(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
	e := current(c)
	if e == nil || a == nil {
		return dst, false
	}
	vs, ok := e.values(-1, "requestObject", "spec", "volumes", "hostPath", "path")
	if !ok {
		return dst, false
	}
	prefix, isPrefix := strings.CutSuffix(a.Text, "*")
	var tmp [256]byte
	for _, v := range vs {
		if v.Kind() != jsonsrc.String {
			continue
		}
		b := v.AppendText(tmp[:0])
		if string(b) == a.Text || isPrefix && strings.HasPrefix(string(b), prefix) {
			return append(dst, "true"...), true
		}
	}
	return append(dst, "false"...), true
}

// uriParam extracts a query parameter of the request URI: the first value
// of the key.
func uriParam(dst []byte, c *field.Context, a *field.Arg) ([]byte, bool) {
	e := current(c)
	if e == nil || a == nil {
		return dst, false
	}
	v := e.root().Get("requestURI")
	if v.Kind() != jsonsrc.String {
		return dst, false
	}
	var tmp [512]byte
	q := v.AppendText(tmp[:0])
	if i := bytes.IndexByte(q, '?'); i >= 0 {
		q = q[i+1:]
	} else {
		return dst, false
	}
	if i := bytes.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	for len(q) > 0 {
		var pair []byte
		pair, q, _ = bytes.Cut(q, []byte{'&'})
		k, v, _ := bytes.Cut(pair, []byte{'='})
		if !queryEq(k, a.Text) {
			continue
		}
		if bytes.IndexByte(v, '%') < 0 && bytes.IndexByte(v, '+') < 0 {
			return append(dst, v...), true
		}
		s, err := url.QueryUnescape(string(v))
		if err != nil {
			return dst, false
		}
		return append(dst, s...), true
	}
	return dst, false
}

// queryEq reports whether a query key, escaped as written, is key.
func queryEq(k []byte, key string) bool {
	if bytes.IndexByte(k, '%') < 0 && bytes.IndexByte(k, '+') < 0 {
		return string(k) == key
	}
	s, err := url.QueryUnescape(string(k))
	return err == nil && s == key
}
