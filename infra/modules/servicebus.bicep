// The bus: the `commands` and `webhooks` queues, sessions keyed by tenant, with the semantics the
// local bus reproduces (shared/ports/bus.py): max delivery count 10, 30 s locks, duplicate
// detection over 10 minutes, 14-day TTL, dead-lettering on expiry. Entra ID only (no SAS keys).
param location string
param tags object
param token string

@allowed(['Standard', 'Premium'])
param sku string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string

param ingressPrincipalId string
param workerPrincipalId string
param operatorPrincipalId string
param operatorPrincipalType string

@description('Queue names of shared/queues.py.')
param queueNames array = ['commands', 'webhooks']

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: 'sb-${token}'
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
    capacity: sku == 'Premium' ? 1 : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess
    zoneRedundant: sku == 'Premium'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [
  for queue in queueNames: {
    parent: namespace
    name: queue
    properties: {
      requiresSession: true
      maxDeliveryCount: 10
      lockDuration: 'PT30S'
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      defaultMessageTimeToLive: 'P14D'
      deadLetteringOnMessageExpiration: true
      maxSizeInMegabytes: 1024
      enablePartitioning: false
    }
  }
]

var sender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39' // Azure Service Bus Data Sender
var receiver = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0' // Azure Service Bus Data Receiver

// The ingress sends commands and webhook redeliveries; it receives only for the operators'
// /admin/deadletters routes (a queue's Receiver role covers its dead-letter sub-queue).
resource ingressSends 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queue, i) in queueNames: {
    name: guid(queues[i].id, ingressPrincipalId, sender)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', sender)
      principalId: ingressPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource ingressReceives 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queue, i) in queueNames: {
    name: guid(queues[i].id, ingressPrincipalId, receiver)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', receiver)
      principalId: ingressPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Workers receive both queues and send follow-ups (run polls) and webhook deliveries, and the
// Functions scale controller reads each queue's length for target-based scaling (instances =
// messages / maxConcurrentSessions). That read is the Administration API's
// GetQueueRuntimeProperties, which needs the Manage right: without it the Service Bus extension
// falls back to the first message's age and the one-instance-per-64-messages rule does not hold.
// Data Owner is the only built-in role with Manage; it is granted on the two queues alone (not
// the namespace), and it holds send and receive too, so it replaces Data Sender and Receiver.
var owner = '090c5cfd-751d-490a-894a-3ce6f1109419' // Azure Service Bus Data Owner

resource workerOwns 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queue, i) in queueNames: {
    name: guid(queues[i].id, workerPrincipalId, owner)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', owner)
      principalId: workerPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// The operator drains a removed tenant's sessions and dead letters, and replays dead letters
// (`tenantry dlq replay`, the console): a command goes back to `commands`, a webhook delivery to
// `webhooks`, so it receives and sends on both.
resource operatorReceives 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queue, i) in queueNames: if (!empty(operatorPrincipalId)) {
    name: guid(queues[i].id, operatorPrincipalId, receiver)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', receiver)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

resource operatorSends 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queue, i) in queueNames: if (!empty(operatorPrincipalId)) {
    name: guid(queues[i].id, operatorPrincipalId, sender)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', sender)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output namespaceId string = namespace.id
