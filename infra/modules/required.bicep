// Settings a deployment cannot run without, checked before anything is made.
//
// Bicep has no assertion that every tool here parses, so the check is a parameter constraint: a
// module used under a condition (main.bicep: `if (engineAdapter == 'azure')`) whose parameter must
// not be empty. ARM validates the module's parameters with the template, before it creates a
// resource, and its error names this module's deployment and the parameter.
targetScope = 'subscription'

@minLength(1)
@description('Required when ENGINE_ADAPTER is azure: azd env set FOUNDRY_PROJECT_ENDPOINT https://<resource>.services.ai.azure.com/api/projects/<project>')
param foundryProjectEndpoint string

output foundryProjectEndpoint string = foundryProjectEndpoint
