"""Offline checks of the deployment artefacts: image, compose stack, Kubernetes
manifests, alert rules and dashboards against the code and settings they configure."""
