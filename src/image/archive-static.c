/*
 * For a static libarchive (meson's static_libs): the tar writers (pax,
 * ustar) report an entry type they cannot store through a libarchive-internal
 * helper that lives in archive_write_set_format.o, beside the by-code table
 * of every writer; pulling that member would link xar (libxml2, ICU,
 * libstdc++), zip, 7zip and iso9660 into berth.  The link names this file's
 * definition first (-Wl,-u in meson.build).  Weak: a libarchive that moves
 * the helper next to the writers wins, with no duplicate symbol.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>

/* libarchive's ARCHIVE_ERRNO_FILE_FORMAT on Linux (archive_platform.h, not installed) */
#define FILE_FORMAT_ERRNO EILSEQ

void __archive_write_entry_filetype_unsupported(struct archive *a, struct archive_entry *entry, const char *format);

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFDIR:
		return "directories";
	case AE_IFLNK:
		return "symbolic links";
	case AE_IFCHR:
		return "character devices";
	case AE_IFBLK:
		return "block devices";
	case AE_IFIFO:
		return "named pipes";
	case AE_IFSOCK:
		return "sockets";
	default:
		return NULL;
	}
}

__attribute__((weak)) void __archive_write_entry_filetype_unsupported(struct archive *a,
								       struct archive_entry *entry,
								       const char *format)
{
	const char *name = type_name(archive_entry_filetype(entry));

	if (name)
		archive_set_error(a, FILE_FORMAT_ERRNO, "%s: %s format cannot archive %s",
				  archive_entry_pathname(entry), format, name);
	else
		archive_set_error(a, FILE_FORMAT_ERRNO, "%s: %s format cannot archive files with mode 0%lo",
				  archive_entry_pathname(entry), format, (unsigned long)archive_entry_mode(entry));
}
