{{/* Chart name, overridable. */}}
{{- define "signing-proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name used for every object. */}}
{{- define "signing-proxy.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "signing-proxy.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the pods; never change them after the first install. */}}
{{- define "signing-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "signing-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "signing-proxy.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "signing-proxy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: memory-layer
{{- end }}

{{- define "signing-proxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "signing-proxy.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image@digest when a digest is given, else image:tag (tag defaults to appVersion). */}}
{{- define "signing-proxy.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Directory holding the secret files the signer reads through file: references. */}}
{{- define "signing-proxy.secretDir" -}}
{{- if eq .Values.secrets.provider "vault" }}/vault/secrets{{ else }}/run/secrets/signer{{ end }}
{{- end }}

{{/* Refuse values that would deploy a broken or unsafe signer. */}}
{{- define "signing-proxy.validate" -}}
{{- if not (has .Values.secrets.provider (list "secret" "vault")) }}
{{- fail "secrets.provider must be \"secret\" or \"vault\"" }}
{{- end }}
{{- $db := false }}
{{- range .Values.secrets.items }}
{{- if eq (default "" .env) "DATABASE_URL" }}{{ $db = true }}{{ end }}
{{- end }}
{{- $replicas := ternary (int .Values.autoscaling.minReplicas) (int .Values.replicaCount) .Values.autoscaling.enabled }}
{{- if and (not $db) (or (gt $replicas 1) .Values.autoscaling.enabled) }}
{{- fail "more than one replica needs PostgreSQL: add a secrets.items entry with env DATABASE_URL (SQLite is single-writer)" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (ge (int .Values.podDisruptionBudget.minAvailable) $replicas) }}
{{- fail "podDisruptionBudget.minAvailable must be below the replica count, or no node could ever be drained" }}
{{- end }}
{{- end }}
