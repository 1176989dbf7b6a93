{{/* The services the chart deploys, in this order; the key is theirs in .Values.services. */}}
{{- define "outbox-shop.serviceKeys" -}}order shipping email{{- end -}}

{{/* <release>-<app>, e.g. shop-order-service (63 characters at most, as a Service name must be). */}}
{{- define "outbox-shop.fullname" -}}
{{- printf "%s-%s-service" .root.Release.Name .key | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "outbox-shop.selectorLabels" -}}
app.kubernetes.io/name: {{ .key }}-service
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "outbox-shop.labels" -}}
{{ include "outbox-shop.selectorLabels" . }}
app.kubernetes.io/part-of: outbox-shop
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The Secret the passwords and the token come from: the user's, or the one the chart creates. */}}
{{- define "outbox-shop.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-outbox-shop" .Release.Name) -}}
{{- end -}}

{{/* An env entry read from the Secret: never a value in the Deployment. */}}
{{- define "outbox-shop.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "outbox-shop.secretName" .root }}
      key: {{ .key }}
{{- end -}}
