{{/* Chart name. */}}
{{- define "tandem.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name prefix: <release>-<chart>, or fullnameOverride. */}}
{{- define "tandem.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tandem.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Common labels. */}}
{{- define "tandem.labels" -}}
helm.sh/chart: {{ include "tandem.chart" . }}
app.kubernetes.io/name: {{ include "tandem.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tandem
{{- end -}}

{{/* Selector labels of one service; call with (dict "root" $ "name" $name). */}}
{{- define "tandem.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tandem.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Name of one service's resources; call with (dict "root" $ "name" $name). */}}
{{- define "tandem.serviceName" -}}
{{- printf "%s-%s" (include "tandem.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Effective settings of one service: defaults overlaid with services.<name>. */}}
{{- define "tandem.serviceConfig" -}}
{{- $cfg := index .root.Values.services .name -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $cfg)) -}}
{{- end -}}

{{- define "tandem.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tandem.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tandem.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Whether a service owns a database; call with its values. Its ServiceSpec says so
(`make deploy-files` writes a `database` entry for it). */}}
{{- define "tandem.hasDatabase" -}}
{{- if hasKey . "database" -}}true{{- end -}}
{{- end -}}

{{/* Names of the public services (the gateway): the only pods internal APIs admit. */}}
{{- define "tandem.publicServices" -}}
{{- range $name, $cfg := .Values.services }}
{{- if $cfg.public }}
- {{ $name }}
{{- end }}
{{- end }}
{{- end -}}

{{/* All topic names: each base topic and its .dlq. */}}
{{- define "tandem.allTopics" -}}
{{- range .Values.topics.names }}
- {{ . }}
- {{ . }}.dlq
{{- end }}
{{- end -}}

{{/* Name of the Secret that holds the service token. */}}
{{- define "tandem.serviceTokenSecretName" -}}
{{- default (printf "%s-service-token" (include "tandem.fullname" .)) .Values.serviceToken.existingSecret -}}
{{- end -}}

{{/*
The service token for the chart's own Secret: serviceToken.value, else the one already
stored (lookup; empty under `helm template`), else random. Remembered in .Values so
that every use in one render sees the same token.
*/}}
{{- define "tandem.serviceToken" -}}
{{- if not (index .Values.serviceToken "renderedToken") -}}
{{- $token := .Values.serviceToken.value -}}
{{- if not $token -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "tandem.serviceTokenSecretName" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data .Values.serviceToken.existingSecretKey) -}}
{{- $token = index $existing.data .Values.serviceToken.existingSecretKey | b64dec -}}
{{- else -}}
{{- $token = randAlphaNum 48 -}}
{{- end -}}
{{- end -}}
{{- if lt (len $token) 16 -}}
{{- fail "serviceToken.value needs at least 16 characters (the services refuse a shorter token)" -}}
{{- end -}}
{{- $_ := set .Values.serviceToken "renderedToken" $token -}}
{{- end -}}
{{- index .Values.serviceToken "renderedToken" -}}
{{- end -}}
