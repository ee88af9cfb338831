// Log Analytics and a workspace-based Application Insights that accepts Entra ID ingestion only.
param location string
param tags object
param token string

@description('Principals that send telemetry (Monitoring Metrics Publisher on the component).')
param publishers array

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    // The connection string alone cannot ingest: senders authenticate with their identity.
    DisableLocalAuth: true
  }
}

var metricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource publish 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in publishers: {
    name: guid(insights.id, principal, metricsPublisher)
    scope: insights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisher)
      principalId: principal
      principalType: 'ServicePrincipal'
    }
  }
]

output connectionString string = insights.properties.ConnectionString
output workspaceId string = workspace.id
output insightsId string = insights.id
