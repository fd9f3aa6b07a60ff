using System.Globalization;
using Tomlyn;
using Tomlyn.Model;

namespace CriRuntime.Configuration;

/// <summary>Turns a TOML document into Microsoft.Extensions.Configuration keys ("api:listen", "network:cni_plugin_dirs:0").</summary>
internal static class TomlFlattener
{
    public static Dictionary<string, string?> Flatten(string tomlText, string sourceName)
    {
        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize(tomlText, ConfigTomlContext.Default.TomlTable) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            throw new ConfigException($"{sourceName}: not valid TOML: {e.Message}");
        }

        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        AddTable(table, "", result);
        return result;
    }

    private static void AddTable(TomlTable table, string prefix, Dictionary<string, string?> result)
    {
        foreach (var (key, value) in table)
        {
            AddValue(value, prefix + key, result);
        }
    }

    private static void AddValue(object? value, string key, Dictionary<string, string?> result)
    {
        switch (value)
        {
            case TomlTable table:
                AddTable(table, key + ":", result);
                break;
            case TomlTableArray tables:
                for (var i = 0; i < tables.Count; i++)
                {
                    AddTable(tables[i], $"{key}:{i}:", result);
                }
                break;
            case TomlArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    AddValue(array[i], $"{key}:{i}", result);
                }
                break;
            case bool b:
                result[key] = b ? "true" : "false";
                break;
            case IFormattable formattable:
                result[key] = formattable.ToString(null, CultureInfo.InvariantCulture);
                break;
            default:
                result[key] = value?.ToString();
                break;
        }
    }
}
