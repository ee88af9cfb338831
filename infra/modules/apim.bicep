// Optional: API Management (Consumption) in front of the ingress, refusing requests without a
// valid tenant token before they reach it (the ingress verifies tokens again: defence in depth).
param location string
param tags object
param token string
param publisherEmail string
param backendUrl string

// Without it the validate-jwt policy has no keys to check signatures with: every call fails, or
// worse, the policy is deployed broken. Required here, so deployApim=true with an empty
// JWT_OPENID_CONFIG_URL is refused when ARM validates the parameters.
@minLength(1)
@description('OpenID configuration URL of the identity provider (JWT_OPENID_CONFIG_URL); required with deployApim=true.')
param openIdConfigUrl string
param audience string
param issuer string

resource service 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  // checkov:skip=CKV_AZURE_107: the Consumption tier cannot join a virtual network; it is a public gateway in front of a public ingress
  // checkov:skip=CKV_AZURE_174: as above: the gateway exists to be called from the internet
  name: 'apim-${token}'
  location: location
  tags: tags
  sku: { name: 'Consumption', capacity: 0 }
  identity: { type: 'SystemAssigned' }
  properties: {
    publisherEmail: publisherEmail
    publisherName: 'tenantry'
  }
}

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: service
  name: 'tenantry'
  properties: {
    displayName: 'tenantry'
    path: 'api'
    protocols: ['https']
    serviceUrl: backendUrl
    subscriptionRequired: false
  }
}

resource operations 'Microsoft.ApiManagement/service/apis/operations@2023-05-01-preview' = [
  for method in ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']: {
    parent: api
    name: toLower(method)
    properties: {
      displayName: '${method} /*'
      method: method
      urlTemplate: '/*'
    }
  }
]

// Per-tenant limits at the gateway (tiers other than Consumption): ../apim/tenant-limits.bicep
var template = loadTextContent('../apim/validate-jwt.xml')
var withConfig = replace(template, '__OPENID_CONFIG_URL__', openIdConfigUrl)
var withAudience = replace(withConfig, '__AUDIENCE__', audience)
var policyXml = replace(withAudience, '__ISSUER__', issuer)

resource policy 'Microsoft.ApiManagement/service/apis/policies@2023-05-01-preview' = {
  parent: api
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: policyXml
  }
}

output gatewayUrl string = '${service.properties.gatewayUrl}/${api.properties.path}'
