namespace Rlhf.Tensors.Serialization;

/// <summary>
/// Crash-safe directory replacement for checkpoints (many files that must change together): everything is written into
/// <c>dir.tmp/</c>, then the old <c>dir/</c> is renamed to <c>dir.old/</c>, the new one renamed into place and the old one
/// deleted. A crash leaves either the previous directory or the new one; when it falls between the two renames only
/// <c>dir.old/</c> exists, and <see cref="Find"/> returns it. Files are not fsynced one by one, so a power loss right
/// after a save may lose that save. One writer per directory.
/// </summary>
public static class AtomicDirectory
{
    /// <summary>Replaces directory <paramref name="final"/> with what <paramref name="write"/> writes into the temporary directory it is given.</summary>
    public static string Write(string final, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(final);
        ArgumentNullException.ThrowIfNull(write);
        string tmp = final + ".tmp", old = final + ".old";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(final))!);
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true); // left by a save that died midway
        Directory.CreateDirectory(tmp);
        write(tmp);
        if (Directory.Exists(final))
        {
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            Directory.Move(final, old);
        }
        Directory.Move(tmp, final);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>
    /// The complete copy of directory <paramref name="final"/> — itself, or <c>final.old/</c> when a save died between its
    /// two renames — judged by the presence of <paramref name="markerFile"/> (written last); null when there is none.
    /// </summary>
    public static string? Find(string final, string markerFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(final);
        if (File.Exists(Path.Combine(final, markerFile))) return final;
        string old = final + ".old";
        return File.Exists(Path.Combine(old, markerFile)) ? old : null;
    }
}
