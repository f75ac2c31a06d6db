using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace Rlhf.Feedback.Web;

/// <summary>The page's files, compiled into the assembly (<c>wwwroot/*</c> embedded resources), read once.</summary>
internal static class EmbeddedAssets
{
    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Files = Load();

    /// <summary>Serves the resource <paramref name="name"/> (e.g. <c>app.js</c>) with its content type; 404 when unknown.</summary>
    public static IResult Serve(string name) =>
        Files.TryGetValue(name, out var f) ? Results.Bytes(f.Bytes, f.ContentType) : Results.NotFound();

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            string name = resource["wwwroot/".Length..];
            files[name] = (memory.ToArray(), Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            });
        }
        return files.ToFrozenDictionary();
    }
}
