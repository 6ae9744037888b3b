using FsCheck;
using FsCheck.Fluent;
using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class DownloadVerdictPropertyTests
{
    private enum Fate { Intact, Deleted, Flipped, Truncated, Extended }

    [Fact]
    public void Verdict_names_exactly_the_files_that_were_damaged()
    {
        using var dir = new PeerTestDirectory("verdict-prop");
        int round = 0;
        Gen<(int Size, Fate Fate, int Pos)> fileGen =
            from size in Gen.Choose(0, 3000)
            from fate in Gen.Elements(Fate.Intact, Fate.Deleted, Fate.Flipped, Fate.Truncated, Fate.Extended)
            from pos in Gen.Choose(0, int.MaxValue - 1)
            select (size, fate, pos);
        Gen<((int Size, Fate Fate, int Pos)[] Files, int Extra)> caseGen =
            from files in Gen.ArrayOf(fileGen).Where(a => a.Length is > 0 and <= 12)
            from extra in Gen.Choose(0, 2)
            select (files, extra);

        Property property = Prop.ForAll(caseGen.ToArbitrary(), c =>
        {
            string baseDir = Path.Combine(dir.Path, (round++).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var www = new InteropWww(Path.Combine(baseDir, "www"), round);
            string dl = Path.Combine(baseDir, "dl");
            Directory.CreateDirectory(dl);
            var missing = new List<string>();
            var different = new List<string>();
            foreach ((int size, Fate fate, int pos) in c.Files)
            {
                string name = www.AddFile(size);
                byte[] bytes = File.ReadAllBytes(Path.Combine(www.Root, name));
                Fate effective = size == 0 && fate is Fate.Flipped or Fate.Truncated ? Fate.Intact : fate;
                switch (effective)
                {
                    case Fate.Deleted: missing.Add(name); continue;
                    case Fate.Flipped: bytes[pos % size] ^= 0x40; different.Add(name); break;
                    case Fate.Truncated: bytes = bytes[..(pos % size)]; different.Add(name); break;
                    case Fate.Extended: bytes = [.. bytes, 0]; different.Add(name); break;
                }
                File.WriteAllBytes(Path.Combine(dl, name), bytes);
            }
            var extra = new List<string>();
            for (int i = 0; i < c.Extra; i++)
            {
                string name = "extra-" + i;
                File.WriteAllText(Path.Combine(dl, name), "x");
                extra.Add(name);
            }

            DownloadVerdict v = DownloadVerdict.Compare(www.Root, dl, www.Files);
            return v.Missing.SequenceEqual(missing)
                   && v.Extra.SequenceEqual(extra)
                   && v.Different.Select(d => d[..d.IndexOf(':')]).SequenceEqual(different)
                   && v.Succeeded == (missing.Count + different.Count + extra.Count == 0);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property); // each case writes files: keep it short
    }
}
