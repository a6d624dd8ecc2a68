// Microacq on Azure: an App Service plan and web app running the compiled bot (dist/index.js) on as
// many instances as instanceCount asks, all on one Azure Database for PostgreSQL flexible server, and
// the Azure Bot that connects the web app to Microsoft Teams. Deployed by `arm/deploy` in
// m365agents.yml; the outputs at the end are written to env/.env.<environment>.

@description('Prefix of every resource name: lower-case letters and digits.')
@minLength(3)
@maxLength(20)
param resourceBaseName string

param location string = resourceGroup().location

@description('Shown in Teams and in the Azure portal for the bot.')
@maxLength(42)
param botDisplayName string = 'Microacq'

@description('The bot\'s Microsoft Entra app (client) id: MICROSOFT_APP_ID.')
param botAppId string

@description('The bot\'s Entra app client secret: MICROSOFT_APP_PASSWORD.')
@secure()
param botAppPassword string

@description('The Entra tenant that owns the bot\'s app: MICROSOFT_APP_TENANT_ID.')
param botTenantId string

@description('Teams is a standard channel, free on F0.')
@allowed([
  'F0'
  'S1'
])
param botServiceSku string = 'F0'

@description('Linux App Service plan size. Basic allows up to 3 instances, Standard 10, Premium v3 30.')
@allowed([
  'B1'
  'B2'
  'B3'
  'S1'
  'S2'
  'S3'
  'P0v3'
  'P1v3'
  'P2v3'
])
param appServicePlanSku string = 'B1'

// Each instance opens up to DATABASE_POOL_SIZE (10) connections; Burstable B1ms accepts about 50.
@description('Instances of the bot serving at once, all on the same database.')
@minValue(1)
@maxValue(30)
param instanceCount int = 2

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param postgresVersion string = '16'

@description('PostgreSQL administrator name; not azure_superuser, admin, administrator, root, guest or public.')
param postgresAdminLogin string = 'microacq'

@secure()
@minLength(8)
param postgresAdminPassword string

@description('Signs the public forms\' anti-forgery tokens: every instance needs the same one (SITE_SECRET).')
@secure()
@minLength(32)
param siteSecret string

// Role holders: Entra object or group ids, comma separated, as ROLE_* take them. Give them in
// infra/azure.parameters.json rather than the portal: every provision rewrites the app settings.
@description('ROLE_PROCUREMENT')
param roleProcurement string = ''
@description('ROLE_FINANCE')
param roleFinance string = ''
@description('ROLE_UNION')
param roleUnion string = ''
@description('ROLE_MANAGER')
param roleManager string = ''

// Names must be unique across Azure (the web app's host name, the PostgreSQL server's): a suffix
// stable for this resource group keeps them so, and keeps a second provision updating the same ones.
var name = '${toLower(resourceBaseName)}-${take(uniqueString(resourceGroup().id), 6)}'
var databaseName = 'microacq'

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: appServicePlanSku
    capacity: instanceCount
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  kind: 'app,linux'
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Any instance may answer any request: state lives in PostgreSQL, so no sticky sessions.
    clientAffinityEnabled: false
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      // As `npm start` runs it, with its heap size (README, "Building and deploying").
      appCommandLine: 'node --max-old-space-size=256 dist/index.js'
      alwaysOn: true // the scheduler runs reminders and deadlines in the background
      // Readiness: an instance whose database does not answer gets no work until it does.
      healthCheckPath: '/readyz'
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
    }
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: '${name}-pg'
  location: location
  sku: {
    name: 'Standard_B1ms'
    tier: 'Burstable'
  }
  properties: {
    version: postgresVersion
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
    storage: {
      storageSizeGB: 32
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0–0.0.0.0 is Azure's rule for "allow Azure services": the web app's outbound addresses.
resource allowAzureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: postgres
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

// Settings by the names src/config.ts reads (.env.example documents the rest). A separate resource so
// they can name the site's own host. Every provision replaces the whole set: add settings here.
resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    NODE_ENV: 'production'
    // App Service gives the port in PORT; the bot must listen beyond loopback to receive it.
    HOST: '0.0.0.0'
    MICROSOFT_APP_ID: botAppId
    MICROSOFT_APP_PASSWORD: botAppPassword
    MICROSOFT_APP_TYPE: 'SingleTenant'
    MICROSOFT_APP_TENANT_ID: botTenantId
    STORE: 'postgres'
    DATABASE_URL: 'postgres://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${database.name}?sslmode=verify-full'
    PUBLIC_URL: 'https://${site.properties.defaultHostName}'
    SITE_SECRET: siteSecret
    ROLE_PROCUREMENT: roleProcurement
    ROLE_FINANCE: roleFinance
    ROLE_UNION: roleUnion
    ROLE_MANAGER: roleManager
    // The zip holds dist/ and the lock file, not node_modules: App Service installs the runtime
    // dependencies on Linux itself (better-sqlite3 is native), and does not build again.
    SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
    CUSTOM_BUILD_COMMAND: 'npm ci --omit=dev'
  }
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botServiceSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${site.properties.defaultHostName}/api/messages'
    msaAppId: botAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: botTenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

// Written to env/.env.<environment> by arm/deploy; azureAppService/zipDeploy reads the first.
output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = site.id
output BOT_DOMAIN string = site.properties.defaultHostName
output BOT_ENDPOINT string = 'https://${site.properties.defaultHostName}'
output POSTGRES_SERVER_HOST string = postgres.properties.fullyQualifiedDomainName
output POSTGRES_DATABASE_NAME string = database.name
