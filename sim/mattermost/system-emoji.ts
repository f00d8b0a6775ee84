// A built-in subset of Mattermost's system emoji names (the short names of its emoji data, as
// typed between colons, without them). The server accepts a custom status emoji only if it is
// a system emoji name or an existing custom emoji (docs/mattermost.md#custom-status); names that
// are not in this list are refused with 400, so keep it to names the real list has. Add custom
// emoji through the driver (addCustomEmoji) rather than extending this list.

const NAMES = `
calendar date spiral_calendar_pad spiral_calendar spiral_note_pad card_index
palm_tree desert_island beach_with_umbrella umbrella_on_ground sunny sun_with_face
house house_with_garden house_buildings office hospital school bank hotel
airplane small_airplane airplane_departure airplane_arriving seat rocket helicopter
car red_car blue_car taxi bus train train2 steam_locomotive bike ship boat sailboat
hamburger pizza fries sandwich coffee tea beer beers wine_glass cake birthday
fork_and_knife knife_fork_plate bento ramen spaghetti sushi
speech_balloon thought_balloon right_anger_bubble left_speech_bubble
calling phone telephone telephone_receiver iphone mobile_phone_off
computer desktop_computer keyboard laptop headphones microphone studio_microphone
video_camera movie_camera camera tv radio satellite_antenna
books book notebook ledger memo pencil pencil2 clipboard pushpin paperclip
briefcase school_satchel mortar_board necktie
no_entry no_entry_sign warning construction rotating_light stop_sign x
white_check_mark heavy_check_mark ballot_box_with_check question exclamation
zzz sleeping sleepy bed couch_and_lamp
face_with_thermometer sneezing_face mask face_with_head_bandage nauseated_face pill syringe
tada confetti_ball balloon gift trophy medal sports_medal
smile smiley grinning blush relaxed wink slightly_smiling_face upside_down_face
thinking_face neutral_face expressionless unamused sweat_smile joy laughing
sunglasses nerd_face heart_eyes kissing_heart
cry sob disappointed worried confused frowning slightly_frowning_face
angry rage triumph scream fearful cold_sweat
+1 thumbsup -1 thumbsdown ok_hand wave raised_hand clap pray muscle point_up point_down
heart yellow_heart green_heart blue_heart purple_heart broken_heart
fire star star2 sparkles zap boom 100
earth_africa earth_americas earth_asia globe_with_meridians world_map
mountain snow_capped_mountain camping tent national_park
runner running walking swimmer bicyclist mountain_bicyclist weight_lifter
soccer basketball football tennis golf ski snowboarder
dog cat mouse rabbit bear panda_face koala tiger lion_face cow pig frog monkey_face
chicken penguin bird baby_chick hatching_chick
evergreen_tree deciduous_tree cactus seedling herb four_leaf_clover
rose sunflower tulip cherry_blossom hibiscus
cloud rain_cloud umbrella snowflake snowman rainbow ocean
hourglass hourglass_flowing_sand watch alarm_clock stopwatch timer_clock clock1 clock2
clock3 clock4 clock5 clock6 clock7 clock8 clock9 clock10 clock11 clock12
loudspeaker mega bell no_bell mute speaker sound
lock unlock key old_key
bulb flashlight battery electric_plug
hammer wrench nut_and_bolt gear hammer_and_wrench tools
moneybag dollar credit_card chart_with_upwards_trend chart_with_downwards_trend bar_chart
email envelope incoming_envelope inbox_tray outbox_tray mailbox package
baby child boy girl man woman older_man older_woman
family couple
`

export const SYSTEM_EMOJI_NAMES: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter((n) => n !== ''))

/** Custom emoji names (model.IsValidEmojiName): 1..64 of [a-zA-Z0-9_+-]. */
export function isValidCustomEmojiName(name: string): boolean {
  return /^[a-zA-Z0-9\-+_]{1,64}$/.test(name)
}
