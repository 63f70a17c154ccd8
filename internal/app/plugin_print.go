package app

// PluginFormat is the line sysdig prints for each plugin event when no
// -p format is given: the plugin's name and its summary of the event.
const PluginFormat = "*%evt.num %evt.datetime.s [%evt.pluginname] %evt.plugininfo"
