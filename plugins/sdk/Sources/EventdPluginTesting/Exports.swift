// A plugin's tests import this one module: the SDK and the C ABI they drive
// the plugin through come with it, so a test target names one product.
@_exported import CEventdPlugin
@_exported import EventdPluginSDK
