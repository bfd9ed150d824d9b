"""A local deployment: N Streamlit replicas behind HAProxy over one shared run store (deploy/cluster.py),
and an example Kubernetes manifest (deploy/kubernetes.yaml)."""
