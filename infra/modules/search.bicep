// AI Search: one index (`tenantry`) shared by all tenants, every query filtered by tenant inside
// the adapter. Entra ID only (API keys disabled).
param location string
param tags object
param token string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

param ingressPrincipalId string
param workerPrincipalId string

@minValue(1)
@maxValue(12)
@description('Replicas: 2 for the read SLA, 3 for read-write.')
param replicaCount int = 1

resource service 'Microsoft.Search/searchServices@2024-06-01-preview' = {
  // checkov:skip=CKV_AZURE_208: replicas are the `replicaCount` parameter (3 for the read-write SLA); 1 by default to keep a first deployment cheap
  // checkov:skip=CKV_AZURE_209: as above (2 replicas for the read SLA)
  name: 'srch-${token}'
  location: location
  tags: tags
  sku: { name: 'basic' }
  properties: {
    replicaCount: replicaCount
    partitionCount: 1
    hostingMode: 'default'
    disableLocalAuth: true
    publicNetworkAccess: toLower(publicNetworkAccess)
  }
}

var indexReader = '1407120a-92aa-4202-b7e9-c0e197c71c8f' // Search Index Data Reader
var indexContributor = '8ebe5a00-799e-43f5-93ac-243d3dce84a7' // Search Index Data Contributor
var serviceContributor = '7ca78c08-252a-4471-8644-bb5ff32d4ba0' // Search Service Contributor

// The ingress only searches (documents/read: no schema write on a request path); the workers
// index and delete, and create or update the index schema before their first write (Search
// Service Contributor, on this service only). The operator gets nothing here: `tenants remove`
// purges through `purge_tenant`, which the Azure search adapter does not have yet; grant Search
// Index Data Contributor with it (tests/permissions/ fails on a role no request needs, and on a
// request no role allows).
var assignments = [
  { principal: ingressPrincipalId, type: 'ServicePrincipal', role: indexReader }
  { principal: workerPrincipalId, type: 'ServicePrincipal', role: indexContributor }
  { principal: workerPrincipalId, type: 'ServicePrincipal', role: serviceContributor }
]

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in assignments: {
    name: guid(service.id, a.principal, a.role)
    scope: service
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', a.role)
      principalId: a.principal
      principalType: a.type
    }
  }
]

output endpoint string = 'https://${service.name}.search.windows.net'
