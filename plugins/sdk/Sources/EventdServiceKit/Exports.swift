// A service plugin imports this one module: the SDK and the catalog's payload
// types come with it, so its manifest names one product.
@_exported import EventdCatalog
@_exported import EventdPluginSDK
