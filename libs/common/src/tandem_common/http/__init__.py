"""HTTP pieces every service shares: health, readiness, metrics, trace propagation, and
the edge every app gets from ``install_edge`` (body cap, service token)."""
