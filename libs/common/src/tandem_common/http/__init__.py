"""HTTP pieces every service shares: health, readiness, metrics, trace propagation."""
