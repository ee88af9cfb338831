// The shared vault (tenant-prefixed secret names), RBAC mode, soft delete and purge protection.
param location string
param tags object
param token string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

param ingressPrincipalId string
param workerPrincipalId string
param operatorPrincipalId string
param operatorPrincipalType string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_189: the `publicNetworkAccess` parameter decides; Disabled needs private endpoints this template does not provision
  // checkov:skip=CKV_AZURE_109: the firewall's default action follows the same parameter (Deny when public access is Disabled)
  name: take('kv-${token}', 24)
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer

// The ingress creates and rotates webhook signing secrets (POST /webhooks answers with the
// secret); workers read them to sign deliveries and rotate them; the operator sets a new
// tenant's secrets and deletes a removed tenant's.
var services = [
  { id: ingressPrincipalId, type: 'ServicePrincipal' }
  { id: workerPrincipalId, type: 'ServicePrincipal' }
]
var operator = [{ id: operatorPrincipalId, type: operatorPrincipalType }]
var principals = empty(operatorPrincipalId) ? services : concat(services, operator)

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for p in principals: {
    name: guid(vault.id, p.id, secretsOfficer)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
      principalId: p.id
      principalType: p.type
    }
  }
]

output uri string = vault.properties.vaultUri
