// The workers' right to run agents in the Foundry project (Azure AI User on the project), when
// main.bicep is given the project's resource id; the project itself is yours, not provisioned.
targetScope = 'resourceGroup'

param accountName string
param projectName string
param workerPrincipalId string

resource account 'Microsoft.CognitiveServices/accounts@2025-06-01' existing = {
  name: accountName
}

resource project 'Microsoft.CognitiveServices/accounts/projects@2025-06-01' existing = {
  parent: account
  name: projectName
}

// Agents, conversations and background responses are data actions of Microsoft.CognitiveServices,
// all in Azure AI User; nothing else of the account is needed.
var aiUser = '53ca6127-db72-4b80-b1b0-d745d6d5456d' // Azure AI User

resource workerRuns 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(project.id, workerPrincipalId, aiUser)
  scope: project
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aiUser)
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}
