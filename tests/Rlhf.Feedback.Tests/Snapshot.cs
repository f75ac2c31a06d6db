using Microsoft.Data.Sqlite;

namespace Rlhf.Feedback.Tests;

/// <summary>Every row of the label tables as text: equal snapshots mean the database content did not change.</summary>
internal static class Snapshot
{
    public static string Of(string dbPath)
    {
        using var c = new SqliteConnection($"Data Source={dbPath};Mode=ReadOnly;Pooling=False");
        c.Open();
        var text = new System.Text.StringBuilder();
        foreach (string table in new[] { "labelers", "tasks", "labels" })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM {table} ORDER BY rowid";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                text.Append(table).Append(':');
                for (int i = 0; i < r.FieldCount; i++) text.Append(r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('|');
                text.Append('\n');
            }
        }
        return text.ToString();
    }
}
