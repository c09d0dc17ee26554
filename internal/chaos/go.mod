module github.com/tokenim/tokenim-go/internal/chaos

go 1.25.0

replace github.com/tokenim/tokenim-go => ../..

replace github.com/tokenim/tokenim-go/internal/apispec => ../apispec

require (
	github.com/stretchr/testify v1.12.1
	github.com/tokenim/tokenim-go v0.0.0-00010101000000-000000000000
	github.com/tokenim/tokenim-go/internal/apispec v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
)

require (
	github.com/getkin/kin-openapi v0.153.0 // indirect
	github.com/go-openapi/jsonpointer v0.22.5 // indirect
	github.com/go-openapi/swag/jsonname v0.25.5 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
