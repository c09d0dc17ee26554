package sandbox

// statusBody is GET /v1/status (docs/contract-decisions.md, Status).
type statusBody struct {
	Object    string    `json:"object"`
	Status    string    `json:"status"`
	Message   *string   `json:"message"`
	UpdatedAt timestamp `json:"updated_at"`
}

// getStatus answers GET /v1/status: no authentication, never blocked by
// maintenance.
func getStatus(c *call) response {
	s := c.s
	s.mu.Lock()
	b := statusBody{Object: "status", Status: "operational", UpdatedAt: timestamp(s.statusAt)}
	if s.maintenance {
		b.Status = "maintenance"
		b.Message = stringPtr("The sandbox is in maintenance mode.")
	}
	s.mu.Unlock()
	return jsonResponse(b)
}
