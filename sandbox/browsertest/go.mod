module github.com/tokenim/tokenim-go/sandbox/browsertest

go 1.25.0

replace github.com/tokenim/tokenim-go => ../..

require (
	github.com/chromedp/chromedp v0.24.0
	github.com/stretchr/testify v1.12.1
	github.com/tokenim/tokenim-go v0.0.0-00010101000000-000000000000
)

require (
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
