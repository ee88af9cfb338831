// The workers: the Functions app (function_app.py, host.json) on Flex Consumption, Python 3.11,
// with the worker identity for everything: host storage, deployment package, Service Bus trigger
// (identity-based connection `SERVICEBUS`), Application Insights (Entra ID ingestion).
param location string
param tags object
param token string
param identityId string
param identityClientId string
param identityPrincipalId string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

@description('tenantry settings (names of shared/settings.py, upper-cased).')
param settings object

@description('Resource ids of the user-assigned identities of tenants of kind `managed_identity`, attached beside the identity of the app.')
param tenantIdentityIds array = []

// The capacity model (`tenantry capacity`, README "Capacity and cost on Azure") chose both: the
// largest workload below Service Bus Standard's and Cosmos DB's limits (10,000 tenants at 0.05
// commands/s each) peaks at 13 instances; one always-ready instance spares the first command
// after a quiet spell a scale decision and a cold start (up to 8 s of queue age) for about
// 21 USD a month. tests/unit/test_capacity_model.py keeps the model's defaults equal to these.
@description('Instances the app may scale out to.')
param maximumInstanceCount int = 40

@description('Always-ready instances of the `commands` function (0: scale from zero).')
param alwaysReadyCommands int = 1

// The host's own storage (leases, deployment packages), apart from tenants' files.
resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_59: public network access is the `publicNetworkAccess` parameter (checkov resolves it across modules only sometimes)
  // checkov:skip=CKV_AZURE_35: the `publicNetworkAccess` parameter decides; Disabled needs private endpoints this template does not provision
  // checkov:skip=CKV_AZURE_43: the name is a fixed prefix and uniqueString(): lowercase letters and digits, at most 24
  // checkov:skip=CKV_AZURE_206: zone-redundant (ZRS) is enough for the host's leases and packages, which the next deployment rewrites
  name: take('sthost${token}', 24)
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
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

resource hostBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: hostStorage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlobs
  name: 'deployments'
  properties: { publicAccess: 'None' }
}

var hostRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner (host leases, packages)
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor (host)
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor (host)
]

resource hostAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in hostRoles: {
    name: guid(hostStorage.id, identityPrincipalId, role)
    scope: hostStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Flex Consumption places instances itself; there is no zone setting to make on the plan
  name: 'plan-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// {id: {}} for each tenant identity (the shape `userAssignedIdentities` takes).
var tenantIdentities = empty(tenantIdentityIds) ? {} : json('{"${join(tenantIdentityIds, '":{},"')}":{}}')

// Settings of the Functions host itself; everything else is tenantry's.
var hostSettings = {
  AzureWebJobsStorage__accountName: hostStorage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // functions/app.py: CONNECTION = "SERVICEBUS", identity-based.
  SERVICEBUS__fullyQualifiedNamespace: settings.SERVICEBUS_NAMESPACE
  SERVICEBUS__credential: 'managedidentity'
  SERVICEBUS__clientId: identityClientId
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: the `publicNetworkAccess` parameter decides; Disabled needs private endpoints this template does not provision
  // checkov:skip=CKV_AZURE_17: the app has no HTTP triggers (Service Bus only); nothing inbound to authenticate with certificates
  // checkov:skip=CKV_AZURE_213: no HTTP endpoint to probe; the host reports its health to the platform and Application Insights
  // checkov:skip=CKV_AZURE_212: one always-ready instance of `commands` (alwaysReadyCommands); the check looks for App Service plan instance counts, which Flex Consumption does not have
  name: 'func-${token}'
  location: location
  // azd finds the service `workers` of azure.yaml by this tag: on the site only, as azd stops when
  // two resources of the group carry it (tests/infra/test_azd_services.py).
  tags: union(tags, { 'azd-service-name': 'workers' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: union({ '${identityId}': {} }, tenantIdentities)
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: publicNetworkAccess
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deployments.name}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
        alwaysReady: alwaysReadyCommands > 0 ? [{ name: 'function:commands', instanceCount: alwaysReadyCommands }] : []
      }
      runtime: { name: 'python', version: '3.11' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for item in items(union(settings, hostSettings)): { name: item.key, value: item.value }]
    }
  }
  dependsOn: [hostAccess]
}

// No publishing with basic credentials: azd deploys with Entra ID.
resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

output name string = app.name
