// The store: Cosmos DB (NoSQL, serverless), every container partitioned by /tenantId
// (shared/adapters/azure/cosmos_layout.py). Entra ID data-plane roles only: keys are disabled.
param location string
param tags object
param token string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

param ingressPrincipalId string
param workerPrincipalId string
param operatorPrincipalId string

param databaseName string = 'tenantry'

@description('Containers of cosmos_layout.CONTAINERS.')
param containerNames array = ['documents', 'idempotency', 'jobs']

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  // checkov:skip=CKV_AZURE_101: the `publicNetworkAccess` parameter decides; Disabled needs private endpoints this template does not provision
  // checkov:skip=CKV_AZURE_99: the `publicNetworkAccess` parameter decides; Disabled needs private endpoints this template does not provision (IP or VNet rules come with them)
  name: 'cosmos-${token}'
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [{ locationName: location, failoverPriority: 0, isZoneRedundant: false }]
    capabilities: [{ name: 'EnableServerless' }]
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: publicNetworkAccess
    minimalTlsVersion: 'Tls12'
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: { tier: 'Continuous7Days' }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: { resource: { id: databaseName } }
}

resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for name in containerNames: {
    parent: database
    name: name
    properties: {
      resource: {
        id: name
        partitionKey: { paths: ['/tenantId'], kind: 'Hash', version: 2 }
        // TTL on, per item: documents without a `ttl` field never expire.
        defaultTtl: -1
      }
    }
  }
]

var contributor = '${account.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
var databaseScope = '${account.id}/dbs/${databaseName}'

// The ingress writes in every container: jobs and idempotency records for each command, and,
// synchronously as API.md asks, webhook endpoints, their delivery log and the operators' audit
// log (`documents`). Workers and the operator (tenant removal) write everything too. Data-plane
// roles only: neither can change the account, the database or the containers.
var serviceAssignments = [
  { principal: ingressPrincipalId, role: contributor, scope: databaseScope }
  { principal: workerPrincipalId, role: contributor, scope: databaseScope }
]
var operatorAssignments = [{ principal: operatorPrincipalId, role: contributor, scope: databaseScope }]
var assignments = empty(operatorPrincipalId) ? serviceAssignments : concat(serviceAssignments, operatorAssignments)

// One at a time: Cosmos DB refuses concurrent role assignment writes on one account.
@batchSize(1)
resource roles 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = [
  for a in assignments: {
    parent: account
    name: guid(account.id, a.principal, a.role, a.scope)
    properties: {
      roleDefinitionId: a.role
      principalId: a.principal
      scope: a.scope
    }
    dependsOn: [containers]
  }
]

output endpoint string = account.properties.documentEndpoint
output database string = databaseName
