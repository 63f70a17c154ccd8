{{/* The chart's name, or nameOverride. */}}
{{- define "kestrel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The objects' name: fullnameOverride, else the release name when it holds the
chart's name, else release-chart.
*/}}
{{- define "kestrel.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The labels that select the pods. */}}
{{- define "kestrel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kestrel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The labels of the pods. */}}
{{- define "kestrel.podLabels" -}}
{{ include "kestrel.selectorLabels" . }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: kestrel
{{- end }}

{{/* The labels of every object. */}}
{{- define "kestrel.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kestrel.podLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The service account's name. */}}
{{- define "kestrel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kestrel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference. */}}
{{- define "kestrel.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Where the configuration and the rules are mounted. */}}
{{- define "kestrel.configDir" -}}/etc/kestrel{{- end }}

{{/*
The rules files the configuration names: Kestrel's default rules, then the
rules.d directory of the custom rules; config.rules_files replaces both.
*/}}
{{- define "kestrel.rulesFiles" -}}
{{- $files := list }}
{{- if .Values.rules.default }}
{{- $files = append $files (printf "%s/kestrel_rules.yaml" (include "kestrel.configDir" .)) }}
{{- end }}
{{- if .Values.rules.custom }}
{{- $files = append $files (printf "%s/rules.d" (include "kestrel.configDir" .)) }}
{{- end }}
{{- if not $files }}
{{- fail "rules.default is false and rules.custom is empty: Kestrel would have no rules to run" }}
{{- end }}
{{- toJson $files }}
{{- end }}

{{/* kestrel.yaml: the config value, with the rules files filled in. */}}
{{- define "kestrel.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- if not (hasKey $cfg "rules_files") }}
{{- $_ := set $cfg "rules_files" (include "kestrel.rulesFiles" . | fromJsonArray) }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/* The web server's settings, with Kestrel's defaults where unset. */}}
{{- define "kestrel.webserverPort" -}}
{{- $ws := .Values.config.webserver | default dict }}
{{- $ws.listen_port | default 8765 | int }}
{{- end }}

{{- define "kestrel.webserverEnabled" -}}
{{- $ws := .Values.config.webserver | default dict }}
{{- if hasKey $ws "enabled" }}{{ $ws.enabled }}{{ else }}true{{ end }}
{{- end }}

{{- define "kestrel.healthzPath" -}}
{{- $ws := .Values.config.webserver | default dict }}
{{- $ws.k8s_healthz_endpoint | default "/healthz" }}
{{- end }}

{{/* The capabilities added to the container. */}}
{{- define "kestrel.capabilities" -}}
{{- $caps := list "BPF" "PERFMON" "SYS_PTRACE" "DAC_READ_SEARCH" }}
{{- if .Values.capabilities.memlock }}
{{- $caps = append $caps "SYS_RESOURCE" }}
{{- end }}
{{- range .Values.capabilities.extra }}
{{- $caps = append $caps (. | upper | trimPrefix "CAP_") }}
{{- end }}
{{- toJson ($caps | uniq) }}
{{- end }}
