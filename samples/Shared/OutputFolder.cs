namespace TestTimeScaling.Samples;

/// <summary>Checks, before a long run, that the folder it will write to can be written.</summary>
internal static class OutputFolder
{
    /// <summary>
    /// Creates <paramref name="directory"/> if needed and writes and deletes a probe file in it, so a wrong path, a file
    /// in the way or a read-only folder fails in a second instead of after the run.
    /// </summary>
    /// <param name="directory">The folder the run writes to.</param>
    /// <param name="option">The command-line option that named it, for the message.</param>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="IOException">The folder cannot be created or written; the message names it and the option.</exception>
    public static string EnsureWritable(string directory, string option)
    {
        string full = Path.GetFullPath(directory);
        if (File.Exists(full))
            throw new IOException($"{option}: '{full}' is a file, not a folder.");
        try
        {
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: cannot write to '{full}': {e.Message}", e);
        }
        return full;
    }
}
