#include "cmd/command.h"

#include <array>

namespace cabin::cmd {
namespace {

using namespace std::string_view_literals;

constexpr std::array kImagesAliases = {"list"sv, "ls"sv};
constexpr std::array kRmiAliases = {"remove"sv};

// `cabin image …`: the image group. Top-level shortcuts (images, rmi, tag, …)
// below point at the same binders.
constexpr std::array kImageCommands = {
    Command{"exists", "Check if an image exists in local storage", Needs::Host, bind_image_exists},
    Command{"history", "Show history of a specified image", Needs::Host, bind_history},
    Command{"import", "Import a tarball to create a filesystem image", Needs::UserNS, bind_import},
    Command{"inspect", "Display the configuration of an image", Needs::Host, bind_image_inspect},
    Command{"ls", "List images in local storage", Needs::Host, bind_images, {}, kImagesAliases},
    Command{"prune", "Remove unused images", Needs::UserNS, bind_image_prune},
    Command{"pull", "Pull an image from a registry", Needs::UserNS, bind_pull},
    Command{"rm", "Remove one or more images from local storage", Needs::UserNS, bind_rmi, {},
            kRmiAliases},
    Command{"tag", "Add an additional name to a local image", Needs::Host, bind_tag},
    Command{"untag", "Remove a name from a local image", Needs::Host, bind_untag},
};

// `cabin container …`: the container group; `run` is also top-level.
constexpr std::array kContainerCommands = {
    Command{"run", "Run a command in a new container", Needs::UserNS, bind_run},
};

constexpr std::array kCommands = {
    Command{"container", "Manage containers", Needs::Host, nullptr, kContainerCommands},
    Command{"history", "Show history of a specified image", Needs::Host, bind_history},
    Command{"image", "Manage images", Needs::Host, nullptr, kImageCommands},
    Command{"images", "List images in local storage", Needs::Host, bind_images},
    Command{"import", "Import a tarball to create a filesystem image", Needs::UserNS, bind_import},
    Command{"info", "Display cabin related system information", Needs::Host, bind_info},
    Command{"inspect", "Display the configuration of object denoted by ID", Needs::Host, bind_image_inspect},
    Command{"pull", "Pull an image from a registry", Needs::UserNS, bind_pull},
    Command{"rmi", "Remove one or more images from local storage", Needs::UserNS, bind_rmi},
    Command{"run", "Run a command in a new container", Needs::UserNS, bind_run},
    Command{"tag", "Add an additional name to a local image", Needs::Host, bind_tag},
    Command{"unshare", "Run a command in a modified user namespace", Needs::UserNS, bind_unshare},
    Command{"untag", "Remove a name from a local image", Needs::Host, bind_untag},
    Command{"version", "Display the cabin version information", Needs::Host, bind_version},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

}  // namespace cabin::cmd
