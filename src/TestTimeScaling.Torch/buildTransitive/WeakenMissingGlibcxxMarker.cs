// Compiled by MSBuild's RoslynCodeTaskFactory (see TestTimeScaling.Torch.targets); not part of the library.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace TestTimeScaling.Build
{
    /// <summary>
    /// Marks a GLIBCXX version need of an ELF shared library as weak when the system libstdc++ lacks that
    /// version and the only symbols bound to it are link-time markers that are never called.
    /// </summary>
    public sealed class WeakenMissingGlibcxxMarker : Task
    {
        // Symbols that GCC 13 emits a reference to from every object including <iostream>, but that no
        // code path calls: safe to leave unresolved when the version is missing.
        private static readonly HashSet<string> NeverCalledMarkers = new HashSet<string> { "_ZSt21ios_base_library_initv" };

        private static readonly string[] LibStdCxxCandidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };

        private const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
        private const ushort VerFlgWeak = 0x2;

        [Required]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            string? libStdCxx = LibStdCxxCandidates.FirstOrDefault(File.Exists);
            if (libStdCxx == null)
            {
                Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; leaving libLibTorchSharp.so as it is.");
                return true;
            }
            byte[] system = File.ReadAllBytes(libStdCxx);
            foreach (ITaskItem item in Files)
            {
                string path = item.GetMetadata("FullPath");
                try
                {
                    PatchFile(path, version => Contains(system, Encoding.ASCII.GetBytes(version + "\0")));
                }
                catch (Exception ex) when (ex is IOException || ex is InvalidDataException || ex is UnauthorizedAccessException || ex is ArgumentOutOfRangeException)
                {
                    Log.LogWarning("Could not check {0} for GLIBCXX version needs: {1}", path, ex.Message);
                }
            }
            return true;
        }

        private void PatchFile(string path, Func<string, bool> systemHasVersion)
        {
            byte[] elf = File.ReadAllBytes(path);
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("not a little-endian 64-bit ELF file");

            ulong shoff = BitConverter.ToUInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
            var sections = Enumerable.Range(0, shnum).Select(i => new Section(elf, (int)shoff + i * shentsize)).ToList();
            Section? verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
            Section? dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
            Section? versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
            if (verneed == null || dynsym == null || versym == null) return;

            // Version index -> names of the dynamic symbols bound to it.
            Section dynstr = sections[(int)dynsym.Link];
            var symbolsByVersion = new Dictionary<int, List<string>>();
            int symbolCount = (int)(dynsym.Size / 24);
            for (int i = 0; i < symbolCount; i++)
            {
                int version = BitConverter.ToUInt16(elf, (int)versym.Offset + 2 * i) & 0x7fff;
                string name = ReadString(elf, (int)dynstr.Offset + (int)BitConverter.ToUInt32(elf, (int)dynsym.Offset + 24 * i));
                if (!symbolsByVersion.TryGetValue(version, out var list)) symbolsByVersion[version] = list = new List<string>();
                list.Add(name);
            }

            Section verstr = sections[(int)verneed.Link];
            bool changed = false;
            int need = (int)verneed.Offset;
            for (uint n = 0; n < verneed.Info; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                    int index = BitConverter.ToUInt16(elf, aux + 6);
                    string version = ReadString(elf, (int)verstr.Offset + (int)BitConverter.ToUInt32(elf, aux + 8));
                    if (version.StartsWith("GLIBCXX_", StringComparison.Ordinal) && (flags & VerFlgWeak) == 0 && !systemHasVersion(version))
                    {
                        var bound = symbolsByVersion.TryGetValue(index, out var names) ? names : new List<string>();
                        if (bound.All(NeverCalledMarkers.Contains))
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                            changed = true;
                            Log.LogMessage(MessageImportance.High, "{0}: marked {1} weak (system libstdc++ lacks it; only {2} needs it).", path, version, string.Join(", ", bound));
                        }
                        else
                        {
                            Log.LogWarning("{0} needs {1}, which the system libstdc++ lacks, for symbols that may be called ({2}); install a newer libstdc++.", path, version, string.Join(", ", bound.Take(5)));
                        }
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
            if (!changed) return;

            // Write a new file and move it over the old one, so a hard link into the NuGet cache is never modified.
            string temp = path + ".tts-tmp";
            File.WriteAllBytes(temp, elf);
            File.Delete(path);
            File.Move(temp, path);
        }

        private static string ReadString(byte[] data, int offset)
        {
            int end = Array.IndexOf(data, (byte)0, offset);
            return Encoding.ASCII.GetString(data, offset, end - offset);
        }

        private static bool Contains(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        private sealed class Section
        {
            public Section(byte[] elf, int header)
            {
                Type = BitConverter.ToUInt32(elf, header + 4);
                Offset = BitConverter.ToUInt64(elf, header + 0x18);
                Size = BitConverter.ToUInt64(elf, header + 0x20);
                Link = BitConverter.ToUInt32(elf, header + 0x28);
                Info = BitConverter.ToUInt32(elf, header + 0x2C);
            }
            public uint Type { get; }
            public ulong Offset { get; }
            public ulong Size { get; }
            public uint Link { get; }
            public uint Info { get; }
        }
    }
}
