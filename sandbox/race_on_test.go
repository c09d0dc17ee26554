//go:build race

package sandbox

// raceDetector is whether the tests run under -race, where every step costs
// about ten times as much: long property runs shorten (their full length
// runs without -race).
const raceDetector = true
