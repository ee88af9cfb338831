// The ingress: FastAPI in Azure Container Apps (scales on HTTP concurrency, revisions, no
// servers to patch), its image built by azd in this registry and pulled with the ingress
// identity (AcrPull; the registry has no admin user).
param location string
param tags object
param token string
param identityId string
param identityPrincipalId string
param logAnalyticsWorkspaceId string

@description('tenantry settings (names of shared/settings.py, upper-cased).')
param settings object

@minValue(0)
param minReplicas int = 1

@description('Whether the app exists already (azd sets SERVICE_INGRESS_RESOURCE_EXISTS): then its deployed image is kept.')
param exists bool = false

@description('Resource ids of the user-assigned identities of tenants of kind `managed_identity`, attached beside the identity of the app.')
param tenantIdentityIds array = []

@description('The port uvicorn listens on in infra/ingress.Dockerfile; ingress and probes target it.')
param port int = 8000

@minValue(1)
param maxReplicas int = 10

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: azd builds the image with ACR Tasks (remoteBuild), which needs the registry reachable; pulls need the AcrPull role (no admin user, no anonymous pull)
  // checkov:skip=CKV_AZURE_163: image scanning is Microsoft Defender for Containers, enabled per subscription, not in this template
  // checkov:skip=CKV_AZURE_166: quarantine needs the Premium tier and a scanner that releases images; the Basic tier is this template's default
  name: take('cr${token}', 50)
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
  }
}

var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identityPrincipalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${token}'
  location: location
  tags: tags
  properties: {
    // Console logs go to Log Analytics through diagnostic settings, no workspace key needed.
    appLogsConfiguration: { destination: 'azure-monitor' }
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: environment
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

var appName = 'ca-ingress-${token}'

// azd's pattern for keeping the deployed image across provisions: `azd deploy` builds the image
// and puts it on the app; a later `azd provision` (onboarding runs one) reads it back from the
// app instead of resetting it. Only the first provision, before anything is built, runs a
// placeholder, which listens on 80, not on `port`: it gets no probes, so the revision does not
// wait on checks it cannot pass (the probes come with the next provision, on the real image;
// README, "First deployment").
resource deployed 'Microsoft.App/containerApps@2024-03-01' existing = if (exists) {
  name: appName
}

var placeholder = 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest'
var image = exists ? deployed.properties.template.containers[0].image : placeholder
var probes = [
  { type: 'Liveness', httpGet: { path: '/health', port: port }, periodSeconds: 10 }
  { type: 'Readiness', httpGet: { path: '/health/ready', port: port }, periodSeconds: 10 }
]

// {id: {}} for each tenant identity (the shape `userAssignedIdentities` takes).
var tenantIdentities = empty(tenantIdentityIds) ? {} : json('{"${join(tenantIdentityIds, '":{},"')}":{}}')

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'ingress' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: union({ '${identityId}': {} }, tenantIdentities)
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        transport: 'auto'
        allowInsecure: false
      }
      registries: [{ server: registry.properties.loginServer, identity: identityId }]
    }
    template: {
      containers: [
        {
          name: 'ingress'
          image: image
          env: [for item in items(settings): { name: item.key, value: item.value }]
          resources: { cpu: json('0.5'), memory: '1Gi' }
          probes: (image == placeholder) ? [] : probes
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [{ name: 'http', http: { metadata: { concurrentRequests: '50' } } }]
      }
    }
  }
  dependsOn: [pull]
}

output url string = 'https://${app.properties.configuration.ingress.fqdn}'
output registryLoginServer string = registry.properties.loginServer
