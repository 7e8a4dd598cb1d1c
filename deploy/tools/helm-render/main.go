// Command helm-render renders a Helm chart the way `helm template` does, for machines without helm.
//
// It runs the chart's templates through the engine Helm itself uses — Go's text/template with the
// sprig v3 function library — and adds Helm's own functions (include, tpl, required, toYaml,
// fromYaml, toJson, fromJson, lookup) with Helm's semantics: values coalesced over values.yaml,
// missing keys render empty, partials (_*.tpl) are not emitted, manifests are printed in Helm's
// install order with "# Source:" headers. It does not implement subcharts, .Files, hooks or
// values.schema.json. Build with Debian's Go packages (see deploy/tools/render-examples.sh).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// installOrder is Helm's releaseutil.InstallOrder (the kinds this chart can emit, in that order).
var installOrder = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
	"RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
	"ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
	"IngressClass", "Ingress", "APIService",
}

var kindLine = regexp.MustCompile(`(?m)^kind:\s*(\S+)\s*$`)
var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func main() {
	var files valueFiles
	release := flag.String("name", "signing-proxy", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	flag.Var(&files, "f", "values file (repeatable; later files win)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helm-render [--name N] [--namespace NS] [-f values.yaml]... CHART_DIR")
		os.Exit(2)
	}
	out, err := render(flag.Arg(0), *release, *namespace, files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helm-render:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

func readYAML(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// coalesce merges src over dst like Helm: maps merge recursively, other values replace, null deletes.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = coalesce(dm, sm)
		} else {
			dst[k] = v
		}
	}
	return dst
}

func chartMeta(dir string) (map[string]interface{}, error) {
	raw, err := readYAML(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	meta := map[string]interface{}{}
	for k, v := range raw {
		// .Chart fields are the Go struct's exported names: apiVersion → APIVersion, appVersion → AppVersion.
		name := strings.ToUpper(k[:1]) + k[1:]
		if k == "apiVersion" {
			name = "APIVersion"
		}
		meta[name] = v
	}
	return meta, nil
}

func render(dir, release, namespace string, files []string) (string, error) {
	meta, err := chartMeta(dir)
	if err != nil {
		return "", err
	}
	chartName, _ := meta["Name"].(string)
	values, err := readYAML(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return "", err
	}
	for _, f := range files {
		over, err := readYAML(f)
		if err != nil {
			return "", err
		}
		values = coalesce(values, over)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "templates", "*"))
	if err != nil {
		return "", err
	}
	sort.Strings(paths)
	root := template.New("gotpl").Option("missingkey=zero")
	root.Funcs(funcMap(root))
	var names []string
	for _, p := range paths {
		base := filepath.Base(p)
		if base == "NOTES.txt" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		name := chartName + "/templates/" + base
		if _, err := root.New(name).Parse(string(data)); err != nil {
			return "", err
		}
		if !strings.HasPrefix(base, "_") {
			names = append(names, name)
		}
	}
	type manifest struct{ source, kind, body string }
	var manifests []manifest
	for _, name := range names {
		top := map[string]interface{}{
			"Values":  values,
			"Chart":   meta,
			"Release": map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
			"Template": map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"},
			"Capabilities": map[string]interface{}{
				"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30", "GitVersion": "v1.30.0"},
			},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, top); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range docSep.Split(text, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			kind := ""
			if m := kindLine.FindStringSubmatch(doc); m != nil {
				kind = m[1]
			}
			manifests = append(manifests, manifest{name, kind, strings.Trim(doc, "\n")})
		}
	}
	rank := func(kind string) int {
		for i, k := range installOrder {
			if k == kind {
				return i
			}
		}
		return len(installOrder)
	}
	sort.SliceStable(manifests, func(i, j int) bool { return rank(manifests[i].kind) < rank(manifests[j].kind) })
	var out strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.source, m.body)
	}
	return out.String(), nil
}

// funcMap is sprig's text function map plus Helm's own functions (pkg/engine/funcs.go).
func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these: a chart must not read the renderer's environment.
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, fmt.Errorf(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, fmt.Errorf(msg)
		}
		return v, nil
	}
	// No cluster to look anything up in: Helm's `helm template` also returns an empty map.
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}
