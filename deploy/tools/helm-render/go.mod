module signing-proxy.example/helm-render

go 1.19
