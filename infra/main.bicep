// tenantry on Azure: what `azd up` provisions (README, "Deployment").
//
// One resource group holding the bus, the store, blobs, search, the vault, monitoring, the
// ingress (Container Apps) and the workers (Functions, Flex Consumption), each reaching the
// others with its own user-assigned managed identity and only the data-plane roles it needs.
// No connection string or key is used where a managed identity works: Service Bus, Cosmos DB,
// Storage, Search and Application Insights all have local (key) authentication disabled.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
param location string

@description('Object id of the operator who runs `tenantry tenants add|remove` (azd sets it to you); empty: no operator roles.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@allowed(['Standard', 'Premium'])
@description('Service Bus tier. Premium adds isolation, zone redundancy and private networking.')
param serviceBusSku string = 'Standard'

@allowed(['Enabled', 'Disabled'])
@description('Public network access of every data service. Disabled needs private endpoints and a VNet you bring (not provisioned here).')
param publicNetworkAccess string = 'Enabled'

@description('Put API Management (Consumption) with a validate-jwt policy in front of the ingress.')
param deployApim bool = false

@description('APIM publisher e-mail (required by API Management when deployApim is true).')
param apimPublisherEmail string = 'platform@example.com'

@description('OpenID configuration of the identity provider that issues tenant tokens (RS256).')
param jwtOpenIdConfigUrl string = ''

@description('Required `aud` of tenant tokens.')
param jwtAudience string = 'api://tenantry'

@description('Required `iss` of tenant tokens.')
param jwtIssuer string = 'https://tenantry.local/'

@description('The tenant registry: a list of {"id", "display_name", "azure", ...} (`tenantry tenants add` writes it). An array, not a string: azd substitutes TENANTS_JSON into an array parameter as JSON, so quotes and non-ASCII in it survive.')
param tenants array = []

@description('Resource ids of the user-assigned identities of tenants of kind `managed_identity`, attached to both apps (attach them here: a provision removes one attached by hand).')
param tenantIdentityIds array = []

@allowed(['azure', 'local'])
@description('The agent engine: `azure` runs agents in a Foundry project (foundryProjectEndpoint is then required); `local` is the embedded engine, for a deployment without Foundry.')
param engineAdapter string = 'azure'

@description('Foundry project endpoint the workers run agents in (required when engineAdapter is azure).')
param foundryProjectEndpoint string = ''

@description('Resource id of the Foundry project (.../providers/Microsoft.CognitiveServices/accounts/<resource>/projects/<project>): the workers get Azure AI User on it. Empty: grant it yourself.')
param foundryProjectResourceId string = ''

@description('Whether the ingress app exists already (azd sets SERVICE_INGRESS_RESOURCE_EXISTS): then its deployed image is kept.')
param ingressExists bool = false

@description('Minimum ingress replicas (0 lets it scale to zero and pay a cold start).')
@minValue(0)
param ingressMinReplicas int = 1

@description('The address clients call the API at (a custom domain, say): every link the service returns, and the resource links of webhook events, start with it. Empty: API Management\'s gateway with deployApim, else the ingress\'s own address.')
param publicBaseUrl string = ''

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

// API Management fronts the ingress, so the ingress cannot take the gateway's address from the
// gateway's outputs (a cycle); a Consumption gateway's address follows from its name and the
// API's path (modules/apim.bicep: 'apim-${token}', path 'api').
var apimGatewayUrl = 'https://apim-${token}.azure-api.net/api'
var linksBaseUrl = empty(publicBaseUrl) ? (deployApim ? apimGatewayUrl : '') : publicBaseUrl
// unset, the ingress's links follow the request (its own address when it is called directly)
var ingressLinks = empty(linksBaseUrl) ? {} : { PUBLIC_BASE_URL: linksBaseUrl }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// ENGINE_ADAPTER=azure without an endpoint would crash-loop the ingress and dead-letter every
// command: the module's parameter must not be empty, so ARM refuses the deployment when it
// validates the template, with this deployment's name and the parameter's in its message.
// It runs at the subscription, beside the resource group, so it depends on nothing.
module foundryEndpointRequired 'modules/required.bicep' = if (engineAdapter == 'azure') {
  name: 'FOUNDRY_PROJECT_ENDPOINT-required-${token}'
  params: { foundryProjectEndpoint: foundryProjectEndpoint }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  scope: rg
  params: { location: location, tags: tags, token: token }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    publishers: [identities.outputs.ingressPrincipalId, identities.outputs.workerPrincipalId]
  }
}

module bus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    sku: serviceBusSku
    publicNetworkAccess: publicNetworkAccess
    ingressPrincipalId: identities.outputs.ingressPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    publicNetworkAccess: publicNetworkAccess
    ingressPrincipalId: identities.outputs.ingressPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
    operatorPrincipalId: principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    publicNetworkAccess: publicNetworkAccess
    ingressPrincipalId: identities.outputs.ingressPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
  }
}

module search 'modules/search.bicep' = {
  name: 'search'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    publicNetworkAccess: publicNetworkAccess
    ingressPrincipalId: identities.outputs.ingressPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    publicNetworkAccess: publicNetworkAccess
    ingressPrincipalId: identities.outputs.ingressPrincipalId
    workerPrincipalId: identities.outputs.workerPrincipalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

// The settings both runtimes read (names of shared/settings.py, upper-cased).
var serviceSettings = {
  BUS_ADAPTER: 'azure'
  STORE_ADAPTER: 'azure'
  ENGINE_ADAPTER: engineAdapter
  BLOB_ADAPTER: 'azure'
  SEARCH_ADAPTER: 'azure'
  SECRETS_ADAPTER: 'azure'
  CREDENTIALS: 'managed_identity'
  SERVICEBUS_NAMESPACE: bus.outputs.fullyQualifiedNamespace
  COSMOS_ENDPOINT: cosmos.outputs.endpoint
  COSMOS_DATABASE: cosmos.outputs.database
  BLOB_ACCOUNT_URL: storage.outputs.blobEndpoint
  SEARCH_ENDPOINT: search.outputs.endpoint
  SEARCH_INDEX: 'tenantry'
  KEYVAULT_URL: vault.outputs.uri
  FOUNDRY_PROJECT_ENDPOINT: foundryProjectEndpoint
  TENANTS: string(tenants)
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  LOG_FORMAT: 'json'
}

module workers 'modules/functions.bicep' = {
  name: 'functions'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    identityId: identities.outputs.workerId
    tenantIdentityIds: tenantIdentityIds
    identityClientId: identities.outputs.workerClientId
    identityPrincipalId: identities.outputs.workerPrincipalId
    publicNetworkAccess: publicNetworkAccess
    settings: union(serviceSettings, {
      MANAGED_IDENTITY_CLIENT_ID: identities.outputs.workerClientId
      OTEL_SERVICE_NAME: 'tenantry-worker'
      // webhook events link to resources where clients reach them
      PUBLIC_BASE_URL: empty(linksBaseUrl) ? ingress.outputs.url : linksBaseUrl
    })
  }
}

module ingress 'modules/ingress.bicep' = {
  name: 'ingress'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    identityId: identities.outputs.ingressId
    identityPrincipalId: identities.outputs.ingressPrincipalId
    tenantIdentityIds: tenantIdentityIds
    exists: ingressExists
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    minReplicas: ingressMinReplicas
    settings: union(serviceSettings, {
      MANAGED_IDENTITY_CLIENT_ID: identities.outputs.ingressClientId
      OTEL_SERVICE_NAME: 'tenantry-ingress'
      JWT_ALGORITHM: 'RS256'
      JWT_OPENID_CONFIG_URL: jwtOpenIdConfigUrl
      JWT_AUDIENCE: jwtAudience
      JWT_ISSUER: jwtIssuer
    }, ingressLinks)
  }
}

// The project may live in another resource group or subscription: the grant goes where it is.
var foundryProjectPath = split(foundryProjectResourceId, '/')

module foundryAccess 'modules/foundry-access.bicep' = if (!empty(foundryProjectResourceId)) {
  name: 'foundry-access-${token}'
  scope: resourceGroup(foundryProjectPath[2], foundryProjectPath[4])
  params: {
    accountName: foundryProjectPath[8]
    projectName: foundryProjectPath[10]
    workerPrincipalId: identities.outputs.workerPrincipalId
  }
}

module apim 'modules/apim.bicep' = if (deployApim) {
  name: 'apim'
  scope: rg
  params: {
    location: location
    tags: tags
    token: token
    publisherEmail: apimPublisherEmail
    backendUrl: ingress.outputs.url
    openIdConfigUrl: jwtOpenIdConfigUrl
    audience: jwtAudience
    issuer: jwtIssuer
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = ingress.outputs.registryLoginServer
output SERVICE_INGRESS_ENDPOINT string = ingress.outputs.url
output SERVICE_API_ENDPOINT string = deployApim ? apim.outputs.gatewayUrl : ingress.outputs.url
output SERVICEBUS_NAMESPACE string = bus.outputs.fullyQualifiedNamespace
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output BLOB_ACCOUNT_URL string = storage.outputs.blobEndpoint
output SEARCH_ENDPOINT string = search.outputs.endpoint
output KEYVAULT_URL string = vault.outputs.uri
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
