// Package tokenim is the Go SDK for the Tokenim payment platform.
package tokenim
