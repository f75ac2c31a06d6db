using System.Globalization;
using System.Text;
using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Tests;

/// <summary>Every row of the label tables as text: equal snapshots mean the database content did not change (either backend).</summary>
internal static class Snapshot
{
    public static string Of(FeedbackStore store)
    {
        using var c = store.Connect();
        var text = new StringBuilder();
        foreach (string table in new[] { "labelers", "tasks", "labels" })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM {table} ORDER BY id";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                text.Append(table).Append(':');
                for (int i = 0; i < r.FieldCount; i++) text.Append(r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)).Append('|');
                text.Append('\n');
            }
        }
        return text.ToString();
    }
}
