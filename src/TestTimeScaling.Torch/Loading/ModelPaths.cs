namespace TestTimeScaling.Torch;

/// <summary>
/// Keeps the files a model directory refers to inside it: a weights file may be a symbolic link only to a
/// place within the directory (or, for a Hugging Face hub cache snapshot, within the same repository's
/// <c>blobs</c> folder, where the hub stores the real files).
/// </summary>
internal static class ModelPaths
{
    // Linux follows at most 40 links when resolving a path; more means a loop.
    private const int MaxLinkHops = 40;

    /// <summary>
    /// Checks that <paramref name="fileName"/> in <paramref name="directory"/> resolves, through any symbolic
    /// links, to a file inside the directory, and returns its path in the directory.
    /// </summary>
    /// <exception cref="InvalidDataException">The file resolves outside the directory; the message names
    /// <paramref name="referencedBy"/>, the file and where it leads.</exception>
    public static string ResolveInside(string directory, string fileName, string referencedBy)
    {
        string fullDirectory = Path.GetFullPath(directory);
        string path = Path.Combine(fullDirectory, fileName);
        string root = RealPath(fullDirectory);
        string target = RealPath(path);
        if (IsUnder(target, root)) return path;

        // The hub cache: <repo>/snapshots/<revision>/file -> ../../blobs/<hash>.
        DirectoryInfo? snapshots = Directory.GetParent(root);
        if (snapshots is { Name: "snapshots", Parent: { } repository } && IsUnder(target, Path.Combine(repository.FullName, "blobs")))
            return path;

        throw new InvalidDataException(
            $"'{referencedBy}': '{fileName}' resolves to '{target}', outside the model directory '{root}'; symbolic links out of a model directory are refused.");
    }

    private static bool IsUnder(string path, string root) =>
        path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The absolute path with every symbolic link along it resolved (like POSIX realpath, but the last part need not exist).</summary>
    internal static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        var parts = new Queue<string>(full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        int hops = 0;
        while (parts.Count > 0)
        {
            string next = Path.Combine(current, parts.Dequeue());
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is not { } link)
            {
                current = next;
                continue;
            }
            if (++hops > MaxLinkHops)
                throw new InvalidDataException($"'{path}' has too many levels of symbolic links.");
            // Resolve the link relative to its own folder (already real), then walk the rest again from the root.
            string resolved = Path.GetFullPath(link, current);
            string rest = string.Join(Path.DirectorySeparatorChar, parts);
            full = rest.Length == 0 ? resolved : Path.Combine(resolved, rest);
            current = Path.GetPathRoot(full)!;
            parts = new Queue<string>(full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        }
        return current;
    }
}
