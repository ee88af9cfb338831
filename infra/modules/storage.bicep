// Tenant files: one container per tenant (created by `tenantry tenants add`), Entra ID only
// (no shared keys; user-delegation SAS for downloads), no public blob access.
param location string
param tags object
param token string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

param ingressPrincipalId string
param workerPrincipalId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_59: public network access is the `publicNetworkAccess` parameter (checkov resolves it across modules only sometimes)
  // checkov:skip=CKV_AZURE_35: the `publicNetworkAccess` parameter decides; Disabled needs private endpoints this template does not provision
  // checkov:skip=CKV_AZURE_43: the name is a fixed prefix and uniqueString(): lowercase letters and digits, at most 24
  name: take('stdata${token}', 24)
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_RAGRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

var contributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor

// The ingress stages uploads and streams downloads; workers read, chunk and delete; a tenant's
// container is made with its first file. Containers are per tenant, so the role is on the
// account (a per-tenant assignment would need a deployment per onboarding). The operator gets
// nothing here until the blob adapter has `purge_tenant` (see search.bicep).
var principals = [
  { id: ingressPrincipalId, type: 'ServicePrincipal' }
  { id: workerPrincipalId, type: 'ServicePrincipal' }
]

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for p in principals: {
    name: guid(account.id, p.id, contributor)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', contributor)
      principalId: p.id
      principalType: p.type
    }
  }
]

output blobEndpoint string = account.properties.primaryEndpoints.blob
output accountName string = account.name
