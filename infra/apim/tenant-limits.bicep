// The `tenant-limits` policy fragment (tenant-limits.xml) on an API Management service of a tier
// that has rate-limit-by-key and quota-by-key (not Consumption). Deploy it beside
// modules/apim.bicep and include the fragment in the API policy after validate-jwt.
param serviceName string
@description('Requests one tenant may make per renewal period (TENANT_REQUESTS_PER_SECOND x period).')
param calls int = 200
param renewalSeconds int = 2
@description('Requests one tenant may make per quota period.')
param quotaCalls int = 5000000
param quotaRenewalSeconds int = 86400

resource service 'Microsoft.ApiManagement/service@2023-05-01-preview' existing = {
  name: serviceName
}

var template = loadTextContent('tenant-limits.xml')
var withCalls = replace(replace(template, '__CALLS__', string(calls)), '__RENEWAL_SECONDS__', string(renewalSeconds))
var fragmentXml = replace(replace(withCalls, '__QUOTA_CALLS__', string(quotaCalls)), '__QUOTA_RENEWAL_SECONDS__', string(quotaRenewalSeconds))

resource fragment 'Microsoft.ApiManagement/service/policyFragments@2023-05-01-preview' = {
  parent: service
  name: 'tenant-limits'
  properties: {
    description: 'Per-tenant rate limit and quota keyed on the extension_tenantId claim.'
    format: 'rawxml'
    value: fragmentXml
  }
}
