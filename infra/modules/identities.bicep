// One user-assigned identity per runtime, so each holds only its own roles.
param location string
param tags object
param token string

resource ingress 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-ingress-${token}'
  location: location
  tags: tags
}

resource worker 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-worker-${token}'
  location: location
  tags: tags
}

output ingressId string = ingress.id
output ingressClientId string = ingress.properties.clientId
output ingressPrincipalId string = ingress.properties.principalId
output workerId string = worker.id
output workerClientId string = worker.properties.clientId
output workerPrincipalId string = worker.properties.principalId
