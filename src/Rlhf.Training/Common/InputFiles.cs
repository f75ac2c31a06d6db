namespace Rlhf.Training.Common;

/// <summary>Expands the <c>--data</c> arguments of the CLI verbs into a list of files.</summary>
public static class InputFiles
{
    /// <summary>
    /// Files as given, in order; a directory contributes its <paramref name="pattern"/> files (recursively, sorted by
    /// ordinal path so the order does not depend on the file system). Duplicates are kept once. Throws
    /// <see cref="FileNotFoundException"/> for a path that does not exist and <see cref="TrainingException"/> when
    /// nothing is found.
    /// </summary>
    public static List<string> Expand(IEnumerable<string> paths, string pattern = "*.txt")
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var inDir = Directory.GetFiles(path, pattern, SearchOption.AllDirectories);
                Array.Sort(inDir, StringComparer.Ordinal);
                foreach (string f in inDir) if (seen.Add(Path.GetFullPath(f))) files.Add(f);
            }
            else if (File.Exists(path)) { if (seen.Add(Path.GetFullPath(path))) files.Add(path); }
            else throw new FileNotFoundException($"{path}: no such file or directory", path);
        }
        if (files.Count == 0) throw new TrainingException($"no input files: the given directories hold no {pattern} files");
        return files;
    }
}
