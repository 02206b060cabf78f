"""Site-wide pieces that belong to neither essays nor search: the progress
bar of long commands, the {% site_url %} tag."""
