using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class DownloadVerdictTests
{
    [Fact]
    public void Identical_files_succeed()
    {
        using var dir = new PeerTestDirectory("verdict");
        var www = new InteropWww(dir.Sub("www"), 1);
        string a = www.AddFile(100_000);
        string b = www.AddFile(0);
        string dl = dir.Sub("dl");
        File.Copy(Path.Combine(www.Root, a), Path.Combine(dl, a));
        File.Copy(Path.Combine(www.Root, b), Path.Combine(dl, b));
        DownloadVerdict v = DownloadVerdict.Compare(www.Root, dl, www.Files);
        Assert.True(v.Succeeded, v.ToString());
        Assert.Equal("OK (2 files identical)", v.ToString());
    }

    [Fact]
    public void Missing_extra_and_different_files_are_each_reported()
    {
        using var dir = new PeerTestDirectory("verdict");
        var www = new InteropWww(dir.Sub("www"), 2);
        string same = www.AddFile(5000);
        string missing = www.AddFile(10);
        string flipped = www.AddFile(70_000);
        string shorter = www.AddFile(300);
        string dl = dir.Sub("dl");
        File.Copy(Path.Combine(www.Root, same), Path.Combine(dl, same));
        byte[] bytes = File.ReadAllBytes(Path.Combine(www.Root, flipped));
        bytes[66_000] ^= 1;
        File.WriteAllBytes(Path.Combine(dl, flipped), bytes);
        File.WriteAllBytes(Path.Combine(dl, shorter), File.ReadAllBytes(Path.Combine(www.Root, shorter))[..299]);
        File.WriteAllText(Path.Combine(dl, "session-ticket"), "x");

        DownloadVerdict v = DownloadVerdict.Compare(www.Root, dl, www.Files);
        Assert.False(v.Succeeded);
        Assert.Equal([missing], v.Missing);
        Assert.Equal(["session-ticket"], v.Extra);
        Assert.Equal(2, v.Different.Count);
        Assert.Contains(flipped + ": first difference at byte 66000", v.Different);
        Assert.Contains(shorter + ": 299 bytes, expected 300", v.Different);
        Assert.Contains("1 missing", v.ToString());
    }

    [Fact]
    public void Missing_download_directory_means_everything_is_missing()
    {
        using var dir = new PeerTestDirectory("verdict");
        var www = new InteropWww(dir.Sub("www"), 3);
        www.AddFileWithRandomName(32, 250);
        DownloadVerdict v = DownloadVerdict.Compare(www.Root, Path.Combine(dir.Path, "nope"), www.Files);
        Assert.Equal(www.Files, v.Missing);
        Assert.Equal(250, www.Files[0].Length);
    }
}
